/**
 * What model calls cost, from the catalog's prices (US dollars per million tokens). Estimates only:
 * the bill is OpenAI's. The Batch API charges half.
 */
import { chatModelInfo, embeddingModelInfo, CHAT_MODELS } from './catalog.js';

/** Options of the cost functions. */
export interface CostOptions {
  /**
   * Priced as a Batch API job: half the price.
   * @default false
   */
  batch?: boolean;
}

/** The Batch API's discount on the price of a request. */
export const BATCH_DISCOUNT = 0.5;

/** US dollars for embedding `tokens` with `modelId`; `undefined` when the catalog has no price for it. */
export function embeddingCost(modelId: string, tokens: number, options: CostOptions = {}): number | undefined {
  const price = embeddingModelInfo(modelId)?.price?.input;
  if (price === undefined) return undefined;
  return ((tokens * price) / 1_000_000) * (options.batch ? BATCH_DISCOUNT : 1);
}

/** US dollars for a chat call; `undefined` when the catalog has no price for the model. */
export function chatCost(modelId: string, usage: { inputTokens: number; outputTokens: number }, options: CostOptions = {}): number | undefined {
  if (!CHAT_MODELS.some((m) => modelId === m.id || modelId.startsWith(`${m.id}-`) || modelId.startsWith(`ft:${m.id}`))) return undefined;
  const price = chatModelInfo(modelId).price;
  if (!price) return undefined;
  return ((usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000) * (options.batch ? BATCH_DISCOUNT : 1);
}

/**
 * Dollars for people: `$0.03`, `$12.40`; amounts under a cent keep two significant digits
 * (`$0.00042`) so a small ingest does not read as free.
 */
export function formatUsd(amount: number): string {
  if (amount === 0) return '$0';
  if (amount >= 0.01) return `$${amount.toFixed(2)}`;
  return `$${amount.toPrecision(2).replace(/0+$/, '')}`;
}
