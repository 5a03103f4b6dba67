/**
 * `ragline/openai`: the OpenAI (and compatible servers') provider — models, the client, the shared
 * rate limiter, retries, the Batch API path of the embed stage — and the model catalog and prices.
 * Only re-exports.
 */
export { createOpenAIEmbedding, decodeBase64Floats, type OpenAIEmbeddingOptions, type OpenAIEmbeddingModel } from '../models/openai/embedding.js';
export { createOpenAIChat, estimateChatTokens, type OpenAIChatOptions } from '../models/openai/chat.js';
export { createOpenAITranscription, TRANSCRIPTION_MODELS, MAX_AUDIO_UPLOAD_BYTES, type OpenAITranscriptionOptions, type TranscriptionModelInfo } from '../models/openai/transcription.js';
export { openAIClient, rateLimiterFor, type OpenAIConnectionOptions } from '../models/openai/client.js';
export {
  RateLimiter,
  sharedRateLimiter,
  resetSharedRateLimiters,
  parseOpenAIDuration,
  retryAfterMs,
  type RateLimits,
  type RateLimiterOptions,
  type RateLimiterState,
  type RateLimiterKey,
  type Permit,
} from '../models/openai/rate-limiter.js';
export { sendWithRetries, type SendOptions } from '../models/openai/send.js';
export * from '../models/catalog.js';
export * from '../models/cost.js';
export * from '../embed/batch-api.js';
