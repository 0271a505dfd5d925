import type { JsonSchema } from './strictify.js';
import { putEntry } from './put-entry.js';

/** `$ref`s followed within one another before a schema is taken to have no finite value. */
const MAX_REF_DEPTH = 64;

/**
 * A schema no finite value satisfies: a `$ref` that requires itself at every level, with no way out
 * (a null branch, an array that may be empty). Sampling it would recurse until the stack overflows.
 */
export class EndlessSchemaError extends Error {
  readonly type = 'endless_schema';
  constructor(readonly ref: string) {
    super(`the schema has no finite value: ${ref} requires itself at every level (let the property that recurses be null, or an array that may be empty)`);
  }
}

/**
 * A value valid against a schema, chosen deterministically from `seed` (the mocks' answers to
 * structured requests). Strings take `text(name)`, so an answer can carry the prompt's awkward
 * characters into the output; formats get fixed valid examples. Covers what strict schemas use:
 * types, enum, const, anyOf, $ref to $defs/definitions, nested objects and arrays, numeric bounds.
 */
export function sampleValue(root: JsonSchema, seed: string, text: (name: string) => string): unknown {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let state = h >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const resolve = (ref: string): JsonSchema => {
    if (ref === '#') return root;
    const [, where, name] = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref) ?? [];
    const defs = where ? (root[where] as Record<string, JsonSchema> | undefined) : undefined;
    return defs?.[decodeURIComponent(name!).replace(/~1/g, '/').replace(/~0/g, '~')] ?? {};
  };
  const value = (schema: JsonSchema, name: string, depth: number, refs = 0): unknown => {
    if (typeof schema.$ref === 'string') {
      if (refs >= MAX_REF_DEPTH) throw new EndlessSchemaError(schema.$ref);
      return value(resolve(schema.$ref), name, depth + 1, refs + 1);
    }
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) {
      const choices = schema.enum.filter((v) => v !== null);
      return choices.length ? choices[next() % choices.length] : null;
    }
    if (Array.isArray(schema.anyOf)) {
      const branches = (schema.anyOf as JsonSchema[]).filter((b) => b.type !== 'null');
      // Past a few levels a recursive schema ends in its null branch.
      return branches.length && depth < 4 ? value(branches[next() % branches.length]!, name, depth + 1, refs) : null;
    }
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t) => t !== 'null');
    switch (types[0]) {
      case 'object': {
        const out: Record<string, unknown> = {};
        const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
        for (const [key, sub] of Object.entries(props)) putEntry(out, key, value(sub, key, depth + 1, refs));
        return out;
      }
      case 'array': {
        const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
        const max = typeof schema.maxItems === 'number' ? schema.maxItems : min + 2;
        const n = depth >= 4 ? min : Math.min(max, Math.max(min, 2));
        return Array.from({ length: n }, () => value((schema.items ?? {}) as JsonSchema, name, depth + 1, refs));
      }
      case 'integer':
      case 'number':
        return number(schema, types[0] === 'integer', next());
      case 'boolean':
        return next() % 2 === 0;
      case 'string': {
        const plain = typeof schema.format === 'string' ? (FORMAT_EXAMPLES[schema.format] ?? text(name)) : text(name);
        if (typeof schema.pattern !== 'string') return plain;
        const re = new RegExp(schema.pattern, 'u');
        if (re.test(plain)) return plain;
        const made = fromPattern(schema.pattern, next);
        if (made !== undefined && re.test(made)) return made;
        return types.includes('null') || (schema.type as unknown[] | undefined)?.includes?.('null') ? null : plain;
      }
      default:
        return null;
    }
  };
  return value(root, '', 0);
}

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': '2026-11-30T05:30:00Z',
  date: '2026-11-30',
  time: '05:30:00Z',
  duration: 'P3D',
  email: 'customer@example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.7',
  ipv6: '2001:db8::7',
  uuid: '3f2b8c1e-7a4d-4e2b-9c6f-1d2e3f4a5b6c',
  uri: 'https://example.com/',
};

function number(schema: JsonSchema, integer: boolean, r: number): number {
  const num = (k: string) => (typeof schema[k] === 'number' ? (schema[k] as number) : undefined);
  // An exclusive bound is open: a value is picked strictly inside it (0 < p < 1 is never 1).
  const loOpen = num('minimum') === undefined && num('exclusiveMinimum') !== undefined;
  const hiOpen = num('maximum') === undefined && num('exclusiveMaximum') !== undefined;
  const lo = num('minimum') ?? num('exclusiveMinimum') ?? 0;
  const hi = num('maximum') ?? num('exclusiveMaximum') ?? lo + 100;
  const step = num('multipleOf');
  if (integer || step) {
    // Multiples of the step (of 1 for an integer), inside the bounds.
    const unit = step ?? 1;
    const first = loOpen ? Math.floor(lo / unit) + 1 : Math.ceil(lo / unit);
    const last = hiOpen ? Math.ceil(hi / unit) - 1 : Math.floor(hi / unit);
    // To 12 digits: 6 × 0.1 is 0.6, not 0.6000000000000001.
    return Number(((first + (last >= first ? r % (last - first + 1) : 0)) * unit).toPrecision(12));
  }
  if (hi < lo) return lo;
  const picked = lo + (((r % 999) + 1) / 1000) * (hi - lo);
  const rounded = Math.round(picked * 100) / 100;
  return (loOpen && rounded <= lo) || (hiOpen && rounded >= hi) || rounded < lo || rounded > hi ? picked : rounded;
}

/**
 * A string matching a simple pattern (literals, \d \w, [classes], the quantifiers {n} {n,m} + * ?, ^ and $), which
 * covers ids like ^[A-Z]{2}-[0-9]{5}$; undefined for anything fancier.
 */
export function fromPattern(pattern: string, next: () => number): string | undefined {
  let out = '';
  let i = 0;
  const src = pattern.replace(/^\^/, '').replace(/\$$/, '');
  while (i < src.length) {
    let pick: (() => string) | undefined;
    const c = src[i]!;
    if (c === '\\') {
      const e = src[i + 1];
      i += 2;
      if (e === 'd') pick = () => String(next() % 10);
      else if (e === 'w') pick = () => 'abcdefghij'[next() % 10]!;
      else if (e === 's') pick = () => ' ';
      else if (e !== undefined && !/[A-Za-z0-9]/.test(e)) pick = () => e;
      else return undefined;
    } else if (c === '[') {
      const end = src.indexOf(']', i + 1);
      if (end < 0 || src[i + 1] === '^') return undefined;
      const body = src.slice(i + 1, end).replace(/\\d/g, '0-9');
      const chars: string[] = [];
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-' && body[k + 2] !== undefined) {
          for (let x = body.charCodeAt(k); x <= body.charCodeAt(k + 2); x++) chars.push(String.fromCharCode(x));
          k += 2;
        } else chars.push(body[k] === '\\' ? (body[++k] ?? '') : body[k]!);
      }
      i = end + 1;
      pick = () => chars[next() % chars.length] ?? '';
    } else if ('()|.*+?{}'.includes(c)) {
      return undefined;
    } else {
      i++;
      pick = () => c;
    }
    let times = 1;
    const q = /^(\{(\d+)(?:,(\d*))?\}|\+|\*|\?)/.exec(src.slice(i));
    if (q) {
      i += q[0].length;
      times = q[2] !== undefined ? Number(q[2]) : q[0] === '+' ? 1 : q[0] === '*' || q[0] === '?' ? 0 : 1;
    }
    for (let t = 0; t < times; t++) out += pick();
  }
  return out;
}
