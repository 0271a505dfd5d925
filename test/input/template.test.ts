import { describe, expect, it } from 'vitest';
import { renderTemplate, templateFields, templateProblem } from '../../src/input/index.js';

describe('renderTemplate', () => {
  const fields = { title: 'Rain', n: 3, ok: false, tags: ['a', 'b'], meta: { x: 1 }, empty: '', nothing: null, 'first name': 'Ada' };

  it.each([
    ['plain fill', 'Summarise: {{title}}', 'Summarise: Rain'],
    ['whitespace inside braces', 'A {{ title }} B {{\ttitle\t}}', 'A Rain B Rain'],
    ['numbers and booleans', '{{n}}/{{ok}}', '3/false'],
    ['arrays and objects as JSON', '{{tags}} {{meta}}', '["a","b"] {"x":1}'],
    ['empty string is a value', '[{{empty}}]', '[]'],
    ['names with inner spaces', 'Hi {{ first name }}', 'Hi Ada'],
    ['repeated field', '{{title}}-{{title}}', 'Rain-Rain'],
    ['no placeholders', 'just text', 'just text'],
    ['{{{{ is not special', '{{{{title}}}}', '{{Rain}}'],
    ['empty braces are literal', '{{}} and {{ }}', '{{}} and {{ }}'],
    ['unbalanced braces are literal', '{{title} and {title}}', '{{title} and {title}}'],
  ])('%s', (_label, template, expected) => {
    expect(renderTemplate(template, fields)).toEqual({ text: expected });
  });

  it.each([
    ['absent field', 'Summarise: {{body}}', 'body'],
    ['first missing wins', '{{title}} {{a}} {{b}}', 'a'],
    ['inherited keys are not fields', '{{constructor}}', 'constructor'],
    ['no path lookup', '{{meta.x}}', 'meta.x'],
  ])('%s → missing', (_label, template, missing) => {
    expect(renderTemplate(template, fields)).toEqual({ missing });
  });

  it('a null field is reported as null: present, so not a misspelt name', () => {
    expect(renderTemplate('{{nothing}}', fields)).toEqual({ missing: 'nothing', isNull: true });
  });
});

describe('templateFields', () => {
  it.each([
    ['Summarise in one line: {{title}} — {{body}}', ['title', 'body']],
    ['{{ b }}{{a}}{{b}}', ['b', 'a']],
    ['none here {{ }}', []],
    ['{{first name}}', ['first name']],
  ])('%s', (template, expected) => {
    expect(templateFields(template)).toEqual(expected);
  });
});

describe('templateProblem', () => {
  it.each([
    ['a plain placeholder', 'Summarise {{title}}'],
    ['a JSON example around a placeholder', 'Reply as {"name": "…", "tags": [{"k": 1}]} for {{title}}'],
    ['a placeholder inside JSON braces', '{"a":{"b":{{title}}}}'],
    ['literal braces around a placeholder', '{{{{title}}}} and {{{x}}}'],
    ['a stray }} beside a placeholder', '{{title}} }}'],
    ['single braces beside a placeholder', '{title} {{title}}'],
  ])('%s is sound', (_label, template) => {
    expect(templateProblem(template)).toBeUndefined();
  });

  it.each([
    [
      'a missing closing brace',
      'Summarise {{title}',
      /^has a "\{\{" at column 11 that opens no \{\{field\}\} placeholder \("\{\{title\}"\): close it with "\}\}"$/,
    ],
    ['a missing brace before another placeholder', '{{title} and {{body}}', /"\{\{" at column 1 .*\("\{\{title\} and \{\{body\}\}"\)/],
    ['an unclosed {{ on a later line', 'Title: {{title}}\nBody: {{body', /"\{\{" at line 2, column 7 .*\("\{\{body"\)/],
    ['empty braces', 'A {{}} B {{title}}', /^has an empty placeholder \{\{\}\} at column 3: put a field's name inside/],
    ['blank braces', 'A {{  }}', /^has an empty placeholder \{\{  \}\} at column 3/],
    [
      'single braces only',
      'Summarise {title}',
      /^has no \{\{field\}\} placeholder, so every row would send the same prompt: \{title\} at column 11 needs double braces, \{\{title\}\}$/,
    ],
    ['no braces at all', 'Summarise this', /^has no \{\{field\}\} placeholder, .*\(\{\{prompt\}\} for a text line\)$/],
    ['an empty template', '', /^has no \{\{field\}\} placeholder/],
    ['only JSON braces', 'Answer as {"a": 1}', /^has no \{\{field\}\} placeholder.*: put \{\{field\}\}/],
  ])('%s is refused', (_label, template, message) => {
    expect(templateProblem(template)).toMatch(message);
  });
});
