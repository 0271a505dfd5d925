import { describe, expect, it } from 'vitest';
import { renderTemplate, templateFields } from '../../src/input/index.js';

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
    ['null field', '{{nothing}}', 'nothing'],
    ['first missing wins', '{{title}} {{a}} {{b}}', 'a'],
    ['inherited keys are not fields', '{{constructor}}', 'constructor'],
    ['no path lookup', '{{meta.x}}', 'meta.x'],
  ])('%s → missing', (_label, template, missing) => {
    expect(renderTemplate(template, fields)).toEqual({ missing });
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
