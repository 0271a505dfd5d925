import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { checkCsvHeader } from '../../src/input/index.js';
import { strayClosingQuote, strayClosingQuoteProblem } from '../../src/input/csv-closing-quote.js';
import { collect, textChunks } from '../helpers/input-chunks.js';

describe('strayClosingQuote', () => {
  it.each([
    ['1,5" screen,foo', -1],
    ['a"b,"c""d",""', -1],
    ['"quoted, comma","multi\nline"', -1],
    ['1,"unclosed', -1],
    ['"a"b', 2],
    ['1,"say "hi" to me"', 7],
    ['1,ok,"x""y"z', 10],
    [' "a"b', -1],
  ])('%j → %d', (raw, offset) => expect(strayClosingQuote(raw)).toBe(offset));

  it('names the line of the quote and what follows it', () => {
    expect(strayClosingQuoteProblem('6,"multi\nline "cell"', 8)).toBe(
      'Invalid Closing Quote: got "c" at line 9 instead of a comma or the line\'s end; a quote inside a quoted cell is written twice: ""',
    );
    expect(strayClosingQuoteProblem('1,"a"😀', 2)).toMatch(/^Invalid Closing Quote: got "😀" at line 2 /);
    expect(strayClosingQuoteProblem('1,5" screen', 2)).toBeUndefined();
  });
});

describe('checkCsvHeader and quotes', () => {
  const check = async (text: string) => collect(await checkCsvHeader(textChunks(text, 3), { source: 'in.csv', format: 'csv', template: '{{x}}' }));

  it('takes a quote inside an unquoted header cell as text, as the reader does', async () => {
    await expect(check('x,size in "\n1,2\n')).resolves.toEqual(['x,s', 'ize', ' in', ' "\n', '1,2', '\n']);
  });

  it('refuses a header whose quoted cell is closed before other text, naming its line', async () => {
    await expect(check('\n"x"y,z\n1,2\n')).rejects.toThrow(InputError);
    await expect(check('\n"x"y,z\n1,2\n')).rejects.toThrow(/^in\.csv:2: cannot parse the CSV header \(Invalid Closing Quote: got "y" at line 2 /);
  });
});
