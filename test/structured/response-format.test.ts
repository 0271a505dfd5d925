import { describe, expect, it } from 'vitest';
import { schemaName } from '../../src/structured/response-format.js';

describe('schemaName: the json_schema.name sent', () => {
  it.each([
    ['a title keeps its dots as _ (a version is no file extension)', 'ticket.json', { title: 'Invoice v1.2' }, 'Invoice_v1_2'],
    ['a dotted title whole', undefined, { title: 'extract.person' }, 'extract_person'],
    ['no title: the file name without its extension', 'ticket-schema.json', {}, 'ticket-schema'],
    ['no title, inline: "output"', undefined, {}, 'output'],
    ['a title of symbols only: "output"', 'x.json', { title: '...' }, 'output'],
  ])('%s', (_what, source, schema, name) => {
    expect(schemaName(source, schema)).toBe(name);
  });

  it('at most 64 characters', () => {
    expect(schemaName(undefined, { title: 'a'.repeat(80) })).toBe('a'.repeat(64));
  });
});
