/**
 * The moderation endpoint of the stand-in, `POST /v1/moderations`: the response shape of
 * `omni-moderation-latest`, with a deterministic classifier — an input is flagged for `violence`
 * when it contains one of `VIOLENT_WORDS`, and for `harassment` when it contains `HARASSMENT_WORDS`.
 * Tests flag a question by including such a word.
 */
import { randomBytes } from 'node:crypto';
import { invalidRequest, invalidType, missingParameter } from './api-errors.js';

/** Words that get an input flagged for `violence`. */
export const VIOLENT_WORDS = ['kill', 'murder', 'bomb'];
/** Words that get an input flagged for `harassment`. */
export const HARASSMENT_WORDS = ['idiot', 'moron'];

/** The categories the moderation models report, with the input types each applies to. */
const CATEGORIES: Record<string, string[]> = {
  harassment: ['text'],
  'harassment/threatening': ['text'],
  hate: ['text'],
  'hate/threatening': ['text'],
  illicit: ['text'],
  'illicit/violent': ['text'],
  'self-harm': ['text', 'image'],
  'self-harm/intent': ['text', 'image'],
  'self-harm/instructions': ['text', 'image'],
  sexual: ['text', 'image'],
  'sexual/minors': ['text'],
  violence: ['text', 'image'],
  'violence/graphic': ['text', 'image'],
};

const MODERATION_MODELS = new Set(['omni-moderation-latest', 'omni-moderation-2024-09-26', 'text-moderation-latest', 'text-moderation-stable']);

function hits(text: string, words: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return words.some((w) => new RegExp(`\\b${w}`).test(lower));
}

/** One result of the moderation response for one input. */
function moderate(text: string) {
  const flags: Record<string, boolean> = Object.fromEntries(Object.keys(CATEGORIES).map((c) => [c, false]));
  flags.violence = hits(text, VIOLENT_WORDS);
  flags.harassment = hits(text, HARASSMENT_WORDS);
  const scores = Object.fromEntries(Object.keys(CATEGORIES).map((c) => [c, flags[c] ? 0.91 : 0.0004]));
  const applied = Object.fromEntries(Object.entries(CATEGORIES).map(([c, types]) => [c, flags[c] ? types.filter((t) => t === 'text') : []]));
  return { flagged: Object.values(flags).some(Boolean), categories: flags, category_scores: scores, category_applied_input_types: applied };
}

/** The answer to `POST /v1/moderations`, validated like the API does; throws `ApiErrorResponse`. */
export function moderationsResponse(body: Record<string, unknown>) {
  const model = body.model ?? 'omni-moderation-latest';
  if (typeof model !== 'string') throw invalidType('model', 'a string', model);
  if (!MODERATION_MODELS.has(model)) throw invalidRequest(`The model '${model}' does not exist or is not a moderation model.`, 'model', 'model_not_found');
  const input = body.input;
  if (input === undefined || input === null) throw missingParameter('input');
  let texts: string[];
  if (typeof input === 'string') texts = [input];
  else if (Array.isArray(input)) {
    // Multi-modal inputs: text parts are moderated; images are out of the stand-in's scope.
    texts = input.map((item: unknown, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'text' && typeof (item as { text?: unknown }).text === 'string') return (item as { text: string }).text;
      if (typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'image_url') return '';
      throw invalidType(`input[${i}]`, 'a string or a content part', item);
    });
  } else throw invalidType('input', 'a string or an array', input);
  return { id: `modr-${randomBytes(12).toString('hex')}`, model: model === 'omni-moderation-latest' ? 'omni-moderation-2024-09-26' : model, results: texts.map(moderate) };
}
