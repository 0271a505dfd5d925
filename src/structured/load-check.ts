import type { JsonSchema } from './strictify.js';
import type { AnswerCheck, Draft } from './check-types.js';

/**
 * The answer check for a schema (Ajv 8, compiled once), for library users building a
 * `StructuredOutput`. Ajv is loaded here, on first use, so importing the library stays light.
 */
export async function loadSchemaCheck(schema: JsonSchema, draft?: Draft): Promise<AnswerCheck> {
  const { compileCheck, draftOf } = await import('./validate.js');
  return compileCheck(schema, draft ?? draftOf(schema));
}
