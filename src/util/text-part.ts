/** A message content part holding text, `{type: "text", text: "…"}`: the one kind both token counts read as text. */
export function isTextPart(part: unknown): part is { type: 'text'; text: string } {
  const p = part as { type?: unknown; text?: unknown } | null;
  return p !== null && typeof p === 'object' && p.type === 'text' && typeof p.text === 'string';
}
