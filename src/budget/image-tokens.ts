import { tableEntry } from '../pricing.js';

/**
 * The most prompt tokens one image part can be billed, by model, from OpenAI's vision guide
 * (platform.openai.com/docs/guides/images-vision, "Calculating costs"; checked 2026-12-02).
 *
 * Tile models: `detail: "low"` is the base tokens alone; `high` (and `auto`, which may pick it) scales
 * the image to fit 2048 × 2048, then its short side down to 768, and bills the base plus a figure per
 * 512 px tile. At most 768 × 2048 is left: 2 × 4 = 8 tiles, whatever the image.
 * Patch models bill 32 px patches, at most 1,536 of them (larger images are scaled down), times a
 * multiplier, whatever the detail.
 *
 * A model not named here (a local server's, another provider's, a deployment name) has no bound we
 * know: the caller says so and reserves an allowance instead.
 */

interface TileRule {
  kind: 'tiles';
  base: number;
  perTile: number;
}

interface PatchRule {
  kind: 'patches';
  multiplier: number;
}

type ImageRule = TileRule | PatchRule;

/** The most 512 px tiles a high-detail image makes: 768 × 2048 after scaling, 2 × 4. */
export const MAX_TILES = 8;
/** The most 32 px patches an image is billed for. */
export const MAX_PATCHES = 1536;

const tiles = (base: number, perTile: number): TileRule => ({ kind: 'tiles', base, perTile });
const patches = (multiplier: number): PatchRule => ({ kind: 'patches', multiplier });

const RULES: Readonly<Record<string, ImageRule>> = {
  'gpt-5': tiles(70, 140),
  'gpt-5-chat-latest': tiles(70, 140),
  'gpt-5-mini': patches(1.62),
  'gpt-5-nano': patches(2.46),
  'gpt-4.1': tiles(85, 170),
  'gpt-4.1-mini': patches(1.62),
  'gpt-4.1-nano': patches(2.46),
  'gpt-4.5-preview': tiles(85, 170),
  'gpt-4o': tiles(85, 170),
  'gpt-4o-mini': tiles(2833, 5667),
  'gpt-4-turbo': tiles(85, 170),
  o1: tiles(75, 150),
  'o1-pro': tiles(75, 150),
  o3: tiles(75, 150),
  'o4-mini': patches(1.72),
  'computer-use-preview': tiles(65, 129),
};

/** The rule for a model as `priceFor` finds a price: exact name, then a dated snapshot's family, `openai/` ignored. */
const ruleFor = (model: string): ImageRule | undefined => tableEntry(RULES, model)?.value;

/** Whether a content part is an image (`{type: "image_url", image_url: {url, detail}}`). */
export function isImagePart(part: unknown): part is { type: 'image_url'; image_url?: unknown } {
  return typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'image_url';
}

/**
 * The most tokens an image part of a request to `model` is billed, or undefined when that cannot be
 * bounded: a model with no known rule, or a `detail` the guide does not describe.
 */
export function imageTokenBound(model: string | undefined, part: { image_url?: unknown }): number | undefined {
  const rule = model === undefined ? undefined : ruleFor(model);
  if (!rule) return undefined;
  if (rule.kind === 'patches') return Math.ceil(MAX_PATCHES * rule.multiplier);
  const detail = (part.image_url as { detail?: unknown } | null | undefined)?.detail;
  if (detail === 'low') return rule.base;
  if (detail === undefined || detail === null || detail === 'high' || detail === 'auto') return rule.base + MAX_TILES * rule.perTile;
  return undefined;
}
