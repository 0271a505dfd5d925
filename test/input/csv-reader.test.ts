import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { readRecords } from '../../src/input/index.js';
import type { PromptRecord } from '../../src/types.js';
import { CHUNKINGS, brief, collect, read, readFixture } from '../helpers/input-chunks.js';

/** A problem record's brief: at `line`, under a line-based id, with no prompt. */
const problemRow = (line: number, problem: unknown) => ({ line, id: expect.stringMatching(new RegExp(`^${line}-[0-9a-f]{8}$`)), prompt: '', problem });

const ARTICLE_TEMPLATE = 'Summarise in one line: {{title}} — {{body}}';
const csv = (text: string, options: Record<string, unknown> = {}, size = Infinity) => read(text, { format: 'csv', source: 'rows.csv', ...options }, size);

describe('csv input', () => {
  it.each(['', 'ab', 'tab', '\n', '"'])('refuses csvDelimiter %j as a UsageError (the library takes no flag words)', async (csvDelimiter) => {
    await expect(csv('prompt\nhi\n', { csvDelimiter })).rejects.toThrow(
      /^csvDelimiter must be one character other than a quote or a line break \(a tab is "\\t"\)/,
    );
    await expect(csv('prompt\nhi\n', { csvDelimiter })).rejects.toBeInstanceOf(UsageError);
  });

  it.each([
    [';', 'id;prompt;note\n1;"a; b";x\n\n2;second, with a comma;y\n'],
    ['\t', 'id\tprompt\tnote\n1\ta; b\tx\n\n2\tsecond, with a comma\ty\n'],
  ])('reads a CSV separated by %j with csvDelimiter: cells, ids and file lines', async (csvDelimiter, text) => {
    const records = await csv(text, { csvDelimiter, keepFields: ['note'] });
    expect(records.map((r) => [r.line, r.id, r.problem, r.fields])).toEqual([
      [2, '1', undefined, { note: 'x' }],
      [4, '2', undefined, { note: 'y' }],
    ]);
    expect(records.map((r) => r.messages?.[0]?.content)).toEqual(['a; b', 'second, with a comma']);
  });

  it('reads the fixture with a template: quoted comma, multi-line cell, start line numbers', async () => {
    const records = await readFixture('articles.csv', { format: 'csv', template: ARTICLE_TEMPLATE });
    expect(records.map((r) => [r.line, r.id, r.problem])).toEqual([
      [2, 'a1', undefined],
      [3, 'a2', undefined],
      [4, 'a3', undefined],
      [7, 'a4', undefined],
    ]);
    expect(records[1]?.prompt).toBe(
      'Summarise in one line: Rain, wind and a late train — A storm on Tuesday evening delayed the 18:05 service by forty minutes and left commuters sheltering under the station canopy.',
    );
    expect(records[2]?.prompt).toBe(
      'Summarise in one line: Council approves new bike lanes — The plan adds 12 km of protected lanes.\nConstruction starts in spring and should finish by autumn.\nShop owners on Market Street asked for more loading bays.',
    );
    expect(records[0]?.messages).toEqual([{ role: 'user', content: records[0]?.prompt }]);
  });

  it('reads a prompt column, with params and ids', async () => {
    const records = await csv('id,prompt,model,temperature,max_tokens\n7,Say hi,gpt-4o-mini,0.3,20\n8,Say bye,,,\n');
    expect(records).toEqual<PromptRecord[]>([
      {
        id: '7',
        idGiven: true,
        line: 2,
        source: 'rows.csv',
        prompt: 'Say hi',
        messages: [{ role: 'user', content: 'Say hi' }],
        params: { model: 'gpt-4o-mini', temperature: 0.3, max_tokens: 20 },
      },
      { id: '8', idGiven: true, line: 3, source: 'rows.csv', prompt: 'Say bye', messages: [{ role: 'user', content: 'Say bye' }], params: {} },
    ]);
  });

  it("reads a max_completion_tokens column (OpenAI's newer name) as the row's answer cap", async () => {
    const records = await csv('id,prompt,max_completion_tokens\n1,hi,77\n2,yo,\n');
    expect(records.map((r) => [r.id, r.params, r.problem])).toEqual([
      ['1', { max_tokens: 77 }, undefined],
      ['2', {}, undefined],
    ]);
    // One of the two left blank is not both.
    const one = await csv('prompt,max_tokens,max_completion_tokens\nhi,,9\n');
    expect(one[0]?.params).toEqual({ max_tokens: 9 });
    // A column the template uses is data.
    const data = await csv('prompt,max_completion_tokens\nhi,abc\n', { template: '{{prompt}} {{max_completion_tokens}}' });
    expect(data.map((r) => [r.prompt, r.params, r.problem])).toEqual([['hi abc', {}, undefined]]);
  });

  it('a column the template uses is data, not a parameter: a weather table, a catalogue', async () => {
    const weather = await csv('city,temperature\nOslo,-3.5\n', { template: 'Blurb: {{city}} at {{temperature}} C' });
    expect(weather.map((r) => [r.prompt, r.params, r.problem])).toEqual([['Blurb: Oslo at -3.5 C', {}, undefined]]);
    const cars = await csv('model,max_tokens,temperature\nCorolla,3,0.5\n', { template: 'Ad for the {{model}} in {{max_tokens}} words' });
    expect(cars.map((r) => [r.prompt, r.params])).toEqual([['Ad for the Corolla in 3 words', { temperature: 0.5 }]]);
  });

  it('uses the only column of a one-column file, or --prompt-field', async () => {
    expect((await csv('question\nWhy is the sky blue?\n'))[0]?.prompt).toBe('Why is the sky blue?');
    expect((await csv('id,question\n1,Why?\n', { promptField: 'question' }))[0]?.prompt).toBe('Why?');
    // A one-column header that happens to hold a semicolon, named: taken as it is.
    expect((await csv('q;a\nx;y\n', { promptField: 'q;a' }))[0]?.prompt).toBe('x;y');
  });

  it('gives identical records for LF, CRLF, a BOM and no final newline, however the input is chunked', async () => {
    const lf = 'id,prompt\n1,"multi\nline"\n\n2,plain\n3,"a, b"\n';
    const expected = await csv(lf);
    expect(expected.map((r) => [r.line, r.prompt])).toEqual([
      [2, 'multi\nline'],
      [5, 'plain'],
      [6, 'a, b'],
    ]);
    const variants = [lf.replaceAll('\n', '\r\n'), `\uFEFF${lf}`, lf.slice(0, -1), `\uFEFF${lf.replaceAll('\n', '\r\n').slice(0, -2)}`];
    for (const text of variants) {
      for (const [, toSource] of CHUNKINGS) {
        expect(await collect(readRecords(toSource(text), { source: 'rows.csv', format: 'csv' }))).toEqual(expected);
      }
    }
  });

  it('counts lines inside multi-line cells and skipped blank lines', async () => {
    const text = '\nid,prompt\n\n1,"a\n\nb"\n2,x\n\n\n3,"p\r\nq\r\nr"\r\n4,z';
    const records = await csv(text);
    expect(records.map((r) => [r.id, r.line])).toEqual([
      ['1', 4],
      ['2', 7],
      ['3', 10],
      ['4', 13],
    ]);
  });

  it('skips rows whose cells are all blank', async () => {
    const records = await csv('id,prompt\n1,a\n,\n , \n2,b\n');
    expect(records.map((r) => [r.line, r.id])).toEqual([
      [2, '1'],
      [5, '2'],
    ]);
  });

  describe('row problems', () => {
    it.each<[string, string, Record<string, unknown>, RegExp, string | undefined]>([
      ['empty prompt cell', 'id,prompt\n1,\n', {}, /^rows\.csv:2: empty "prompt" column$/, 'prompt'],
      [
        'missing prompt cell (short row)',
        'id,title,prompt\n1,t\n',
        {},
        /^rows\.csv:2: row has 2 cells but the header has 3 columns \(quote a cell that holds a line break, and double the quotes inside it\)$/,
        'prompt',
      ],
      ['one cell of two', 'id,prompt\n2\n', {}, /^rows\.csv:2: row has 1 cell but the header has 2 columns \(/, 'prompt'],
      [
        'short row with a template',
        'id,title,body\n1,T\n',
        { template: ARTICLE_TEMPLATE },
        /^rows\.csv:2: row has 2 cells but the header has 3 columns/,
        'body',
      ],
      [
        'short row missing a --system field',
        'prompt,id,topic\nhello\n',
        { system: 'About {{topic}}.' },
        /^rows\.csv:2: row has 1 cell but the header has 3 columns \(quote a cell that holds a line break/,
        'topic',
      ],
      ['bad temperature', 'prompt,temperature\nhi,hot\n', {}, /^rows\.csv:2: "temperature" must be a number from 0 to 2 \(got "hot"\)$/, 'temperature'],
      [
        'temperature out of range',
        'prompt,temperature\nhi,2.5\n',
        {},
        /^rows\.csv:2: "temperature" must be a number from 0 to 2 \(got "2\.5"\)$/,
        'temperature',
      ],
      ['bad max_tokens', 'prompt,max_tokens\nhi,1.5\n', {}, /^rows\.csv:2: "max_tokens" must be a positive integer/, 'max_tokens'],
      ['zero max_tokens', 'prompt,max_tokens\nhi,0\n', {}, /"max_tokens" must be a positive integer \(got "0"\)/, 'max_tokens'],
      ['hex is not a number', 'prompt,temperature\nhi,0x1\n', {}, /"temperature" must be a number/, 'temperature'],
      [
        'bad max_completion_tokens',
        'prompt,max_completion_tokens\nhi,abc\n',
        {},
        /^rows\.csv:2: "max_completion_tokens" must be a positive integer \(got "abc"\)$/,
        'max_completion_tokens',
      ],
      [
        'both answer caps',
        'prompt,max_tokens,max_completion_tokens\nhi,10,20\n',
        {},
        /^rows\.csv:2: gives both "max_tokens" and "max_completion_tokens"; keep one/,
        'max_completion_tokens',
      ],
      ['too many cells (unquoted comma)', 'id,prompt\n1,Hello, world\n', {}, /^rows\.csv:2: row has 3 cells but the header has 2 columns/, undefined],
      ['a header of one column', 'prompt\nHello, world\n', {}, /^rows\.csv:2: row has 2 cells but the header has 1 column \(/, undefined],
    ])('%s', async (_label, text, options, message, field) => {
      const [record, ...rest] = await csv(text, options);
      expect(rest).toEqual([]);
      expect(record?.problem?.message).toMatch(message);
      expect(record?.problem?.field).toBe(field);
      expect(record).toMatchObject({ line: 2, source: 'rows.csv', messages: [], params: {} });
    });

    it("takes a stray quote as text, as Python's csv module and spreadsheets do: no text is lost", async () => {
      const text = 'id,prompt,note\n1,5" screen,foo\n2,say "hi",x"y""z\n3,a"\n4,"say "hi" to me"\n5,"multi\nline "cell",n\n6,"ok ""quoted"""\n';
      for (const size of [1, 4, Infinity]) {
        const records = await csv(text, { keepFields: ['note'] }, size);
        expect(records.map((r) => [r.line, r.id, r.prompt, r.fields, r.problem])).toEqual([
          [2, '1', '5" screen', { note: 'foo' }, undefined],
          [3, '2', 'say "hi"', { note: 'x"y""z' }, undefined],
          [4, '3', 'a"', {}, undefined],
          // A quoted cell closed before other text: its text as written, quotes and all; the record ends at its line.
          [5, '4', '"say "hi" to me"', {}, undefined],
          // Over two lines, an undoubled quote is what a quote left open looks like: see below.
          [6, expect.stringMatching(/^6-/), '', {}, expect.objectContaining({ message: expect.stringMatching(/spanning lines 6-7/) })],
          [8, '6', 'ok "quoted"', {}, undefined],
        ]);
      }
    });

    it("a quote left open that a later row's quote closes: one error row naming the lines it took, not a prompt of them", async () => {
      // Read with relax_quotes alone, rows 2-4 were one prompt and had no row of their own (exit 0).
      const text = 'id,prompt\n1,"Great product, would buy again\n2,Arrived late\n3,Broken on arrival\n4,The "pro" model is better\n5,ok\n';
      for (const size of [1, 7, Infinity]) {
        const records = await csv(text, {}, size);
        expect(records.map(brief)).toEqual([
          problemRow(
            2,
            'rows.csv:2: malformed CSV record spanning lines 2-5 (a quote opened in one row closes in a later one, taking the rows between: double the quotes inside a quoted cell)',
          ),
          { line: 6, id: '5', prompt: 'ok' },
        ]);
      }
      // A quoted cell over several lines with its quotes doubled is read as ever.
      const good = await csv('id,prompt\n1,"two\nlines, ""quoted"""\n2,b\n');
      expect(good.map(brief)).toEqual([
        { line: 2, id: '1', prompt: 'two\nlines, "quoted"' },
        { line: 4, id: '2', prompt: 'b' },
      ]);
      // So is one whose text starts with a quote (its doubled quote stands in the record's text).
      for (const size of [1, 3, Infinity]) {
        const quoteFirst = await csv('id,prompt\n1,"""Quoted start\nsecond line"\n2,"""a\n"" b"""\n3,c\n', {}, size);
        expect(quoteFirst.map(brief)).toEqual([
          { line: 2, id: '1', prompt: '"Quoted start\nsecond line' },
          { line: 4, id: '2', prompt: '"a\n" b"' },
          { line: 6, id: '3', prompt: 'c' },
        ]);
      }
    });

    it('a row cut short by a line break in a quoted cell says so, under a line-based id, not its stray text as id', async () => {
      for (const size of [1, 4, Infinity]) {
        const records = await csv('id,prompt\n1,"say "hi" to\nme"\n2,b\n', {}, size);
        expect(records.map(brief)).toEqual([
          { line: 2, id: '1', prompt: '"say "hi" to' },
          problemRow(3, 'rows.csv:3: row has 1 cell but the header has 2 columns (quote a cell that holds a line break, and double the quotes inside it)'),
          { line: 4, id: '2', prompt: 'b' },
        ]);
      }
    });

    it('a quote in an unquoted cell beside a well-quoted cell over two lines: read as ever', async () => {
      const records = await csv('id,size,prompt\n1,5" screen,"Describe this TV:\nbright and thin"\n2,5" screen,"x"\n', { keepFields: ['size'] });
      expect(records.map((r) => [r.line, r.id, r.prompt, r.fields, r.problem])).toEqual([
        [2, '1', 'Describe this TV:\nbright and thin', { size: '5" screen' }, undefined],
        [4, '2', 'x', { size: '5" screen' }, undefined],
      ]);
    });

    it('in a one-column CSV, a row whose text is the column name is data', async () => {
      expect((await csv('prompt\nhello\nprompt\n')).map(brief)).toEqual([
        { line: 2, id: expect.any(String), prompt: 'hello' },
        { line: 3, id: expect.any(String), prompt: 'prompt' },
      ]);
    });

    it('a row that repeats the header (files joined with cat, each with its BOM) is an error row, not a prompt "prompt"', async () => {
      const records = await csv('\uFEFFid,prompt\n1,a\n\uFEFFid, prompt\n2,b\n');
      expect(records.map(brief)).toEqual([
        { line: 2, id: '1', prompt: 'a' },
        problemRow(3, 'rows.csv:3: this row repeats the header row (CSV files joined with cat? drop the header of every file but the first)'),
        { line: 4, id: '2', prompt: 'b' },
      ]);
    });

    it('a short row whose missing cells nothing needs is sent', async () => {
      const records = await csv('id,prompt,note\n1,hello\n', { keepFields: ['note'] });
      expect(records.map((r) => [r.id, r.prompt, r.fields, r.problem])).toEqual([['1', 'hello', {}, undefined]]);
    });

    it('a cell left open to the end of the file is one problem naming the lines it took; the rows before it are read', async () => {
      for (const size of [1, 4, Infinity]) {
        const records = await csv('id,prompt\n1,fine\n2,"oops"x\n3,"unterminated\n4,lost too\n', {}, size);
        expect(records.map(brief)).toEqual([
          { line: 2, id: '1', prompt: 'fine' },
          { line: 3, id: '2', prompt: '"oops"x' },
          problemRow(4, expect.stringMatching(/^rows\.csv:4: malformed CSV record spanning lines 4-5 \(Quote Not Closed/)),
        ]);
      }
    });

    it('keeps the explicit id and the prompt cell on a problem record', async () => {
      const [record] = await csv('id,prompt,temperature\nr1,hello,warm\n');
      expect(record).toMatchObject({ id: 'r1', prompt: 'hello', problem: { field: 'temperature' } });
    });

    it('keeps the prompt its template makes on a problem record, as a JSONL row does', async () => {
      const records = await csv('id,q,title,temperature\nr1,hello,T1,warm\nr2,there,T2,,extra\n', { template: 'Q: {{q}} ({{title}})', keepFields: ['title'] });
      expect(records.map((r) => [r.id, r.prompt, r.fields, r.problem?.message])).toEqual([
        ['r1', 'Q: hello (T1)', { title: 'T1' }, expect.stringMatching(/^rows\.csv:2: "temperature" must be a number/)],
        ['r2', 'Q: there (T2)', { title: 'T2' }, expect.stringMatching(/^rows\.csv:3: row has 5 cells but the header has 4 columns/)],
      ]);
    });
  });

  describe('run-level errors, thrown before any record', () => {
    it.each<[string, string, Record<string, unknown>, RegExp]>([
      [
        'no prompt column',
        'id,title,body\n1,a,b\n',
        {},
        /^rows\.csv:1: no "prompt" column in the CSV header \(found: "id", "title", "body"\); pass --prompt-field body or --template '…\{\{body\}\}…'$/,
      ],
      // A usual name in another case, never the id in any: the hint was "<column>".
      ['no prompt column, a "Prompt" one', 'ID,Prompt\n1,hello\n', {}, /; pass --prompt-field Prompt or --template '…\{\{Prompt\}\}…'$/],
      ['no prompt column, no usual name', 'ID,title,x\n1,a,b\n', {}, /; pass --prompt-field title or --template/],
      // Quoted as a shell takes it; Custom_ID is an id in any case too.
      [
        'no prompt column, a name with a space',
        'Custom_ID,My Question\n1,hello\n',
        {},
        /; pass --prompt-field 'My Question' or --template '…\{\{My Question\}\}…'$/,
      ],
      [
        'no prompt column, a name with a quote',
        "ID,It's here\n1,hello\n",
        {},
        /; pass --prompt-field 'It'\\''s here' or --template '…\{\{It'\\''s here\}\}…'$/,
      ],
      ['--prompt-field not in the header', 'id,prompt\n1,a\n', { promptField: 'question' }, /^rows\.csv:1: no "question" column .*found: "id", "prompt"/],
      [
        'template field not in the header',
        'id,title\n1,a\n',
        { template: ARTICLE_TEMPLATE },
        /^rows\.csv:1: --template uses \{\{body\}\} but .*found: "id", "title"/,
      ],
      ['--id-field not in the header', 'id,prompt\n1,a\n', { idField: 'uid' }, /^rows\.csv:1: no "uid" column .*--id-field/],
      ['duplicate column', 'prompt,id,prompt\na,1,b\n', {}, /^rows\.csv:1: column "prompt" appears twice/],
      [
        'two unnamed columns whose cells --keep-fields all would merge',
        'id,prompt,,\n1,hello,NOTE-A,NOTE-B\n',
        { keepFields: 'all' },
        /^rows\.csv:1: columns 3 and 4 of the CSV header have no name, and --keep-fields all would keep their cells as one field ""; name those columns/,
      ],
      ['unnamed columns kept by name', ',prompt,\na,b,c\n', { keepFields: ['', 'prompt'] }, /^rows\.csv:1: columns 1 and 3 of .*--keep-fields ""/],
      ['broken header', 'id,"prompt\n', {}, /^rows\.csv:1: cannot parse the CSV header/],
      ['header only, wrong columns', 'id,title\n', {}, /no "prompt" column/],
      [
        'a semicolon-separated file (Excel in most European locales)',
        'id;title;prompt\n1;A;hello\n',
        {},
        /^rows\.csv:1: the CSV header "id;title;prompt" is one column: the file looks separated by ";": pass --csv-delimiter ';' to read it so/,
      ],
      ['a tab-separated file named .csv', 'id\tprompt\n1\thello\n', {}, /one column: the file looks separated by tabs: pass --csv-delimiter tab /],
      [
        'a pipe-separated database export',
        'id|prompt\n1|hello\n',
        {},
        /^rows\.csv:1: the CSV header "id\|prompt" is one column: the file looks separated by "\|": pass --csv-delimiter '\|'/,
      ],
    ])('%s', async (_label, text, options, message) => {
      const yielded: PromptRecord[] = [];
      const run = async () => {
        for await (const r of readRecords(
          (async function* () {
            yield text;
          })(),
          { source: 'rows.csv', format: 'csv', ...options },
        ))
          yielded.push(r);
      };
      await expect(run()).rejects.toThrow(InputError);
      await expect(csv(text, options)).rejects.toThrow(message);
      expect(yielded).toEqual([]);
    });

    it('a source that fails mid-way is an InputError naming it', async () => {
      async function* failing(): AsyncGenerator<string> {
        yield 'id,prompt\n1,a\n';
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      }
      await expect(collect(readRecords(failing(), { source: 'rows.csv', format: 'csv' }))).rejects.toThrow(
        /^rows\.csv: cannot read input \(EIO: i\/o error, read\)$/,
      );
    });

    it('even when the first data row is malformed', async () => {
      await expect(csv('id,title\n1,"x"y\n')).rejects.toThrow(/no "prompt" column/);
    });

    it('a header with no rows is fine when it fits', async () => {
      expect(await csv('id,prompt\n')).toEqual([]);
    });
  });

  describe('column names that are not plain keys', () => {
    it('a column named __proto__ or constructor is a field like any other', async () => {
      for (const text of ['__proto__,prompt,constructor\nP,a,C\n', 'prompt,constructor,__proto__\na,C,P\n']) {
        const [record] = await csv(text, { keepFields: 'all', template: '{{prompt}} {{__proto__}} {{constructor}}' });
        expect(record?.problem).toBeUndefined();
        expect(record?.prompt).toBe('a P C');
        expect(record?.fields).toEqual(
          Object.fromEntries([
            ['prompt', 'a'],
            ['constructor', 'C'],
            ['__proto__', 'P'],
          ]),
        );
      }
      const [byName] = await csv('__proto__,prompt\nP,a\n', { keepFields: ['__proto__'], idField: '__proto__' });
      expect(byName).toMatchObject({ id: 'P', prompt: 'a', fields: Object.fromEntries([['__proto__', 'P']]) });
      expect(Object.hasOwn(byName?.fields ?? {}, '__proto__')).toBe(true);
    });

    it('unnamed columns are read, and their cells kept when there is one', async () => {
      const [one] = await csv('id,prompt,\n1,hello,NOTE-A\n', { keepFields: 'all' });
      expect(one?.fields).toEqual({ id: '1', prompt: 'hello', '': 'NOTE-A' });
      const [two] = await csv('id,prompt,,\n1,hello,NOTE-A,NOTE-B\n');
      expect(two).toMatchObject({ id: '1', prompt: 'hello' });
      expect(two?.problem).toBeUndefined();
    });
  });

  it('a column named twice that the run never reads is left out (a join export), as unnamed ones are; one it reads is refused', async () => {
    const [record] = await csv('id,prompt,notes,notes\n1,hello,a,b\n');
    expect(record).toMatchObject({ id: '1', prompt: 'hello' });
    for (const [text, options, column] of [
      ['id,prompt,notes,notes\n1,hello,a,b\n', { keepFields: ['notes'] }, 'notes'],
      ['id,prompt,notes,notes\n1,hello,a,b\n', { keepFields: 'all' }, 'notes'],
      ['id,title,notes,notes\n1,T,a,b\n', { template: '{{title}}: {{notes}}' }, 'notes'],
      ['id,id,prompt\n1,2,hello\n', {}, 'id'],
      ['model,prompt,model\na,hello,b\n', {}, 'model'],
    ] as const) {
      await expect(csv(text, options as Parameters<typeof csv>[1])).rejects.toThrow(
        new RegExp(`^rows\\.csv:1: column "${column}" appears twice in the CSV header`),
      );
    }
  });

  it('trims header names', async () => {
    const [record] = await csv('id , title\n1,Rain\n', { template: 'T: {{title}}' });
    expect(record).toMatchObject({ id: '1', prompt: 'T: Rain' });
  });

  describe('ids', () => {
    it('uses the id column, or --id-field', async () => {
      expect((await csv('id,prompt\n a-1 ,x\n'))[0]?.id).toBe('a-1');
      expect((await csv('uid,id,prompt\nu,i,x\n', { idField: 'uid' }))[0]?.id).toBe('u');
    });

    it('falls back to a stable key that changes with the row', async () => {
      const [a] = await csv('prompt,extra\nhello,1\n');
      const [b] = await csv('prompt,extra\r\nhello,1\r\n');
      const [edited] = await csv('prompt,extra\nhello,2\n');
      const [blankId] = await csv('id,prompt,extra\n,hello,1\n');
      expect(a?.id).toMatch(/^2-[0-9a-f]{8}$/);
      expect(b?.id).toBe(a?.id);
      expect(edited?.id).not.toBe(a?.id);
      expect(blankId?.id).toMatch(/^2-[0-9a-f]{8}$/);
    });
  });

  it('prepends the system message', async () => {
    const [record] = await csv('prompt\nhi\n', { system: 'Answer in French.' });
    expect(record?.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'hi' },
    ]);
  });
});
