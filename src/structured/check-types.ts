/**
 * What checking an answer gives, apart from the checker: the library's declarations export these, and
 * validate.ts's would pull in Ajv's types, which a library user does not install (Ajv is bundled).
 */

/**
 * What was wrong with an answer: not JSON, JSON nested deeper than llm-batch walks (see
 * MAX_NESTING), not the object --json asks for, or against the schema.
 */
export type InvalidKind = 'json' | 'deep' | 'object' | 'schema';

/** The outcome of checking one answer. */
export type CheckResult = { ok: true; value: unknown } | { ok: false; kind: InvalidKind; problems: string[] };

/** Parses and validates one answer; compiled once per run. */
export type AnswerCheck = (text: string) => CheckResult;

/** Drafts Ajv 8 validates; the schema's `$schema` picks one (draft-07 when it names none). */
export type Draft = '07' | '2019-09' | '2020-12';
