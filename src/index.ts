/**
 * ragline — retrieval/Q&A pipelines on the OpenAI API with Postgres/pgvector.
 * This module only re-exports; see the folders for the stages, models, store and interfaces.
 */
export * from './errors.js';
export type * from './types.js';
export * from './options/check.js';
export * from './options/defaults.js';
export * from './core/ingest-settings.js';

export { pipe, drain, collect, type Stage } from './iter/pipe.js';
export { parallelMap, type ParallelMapOptions } from './iter/parallel-map.js';
export { batchBy, splitBy } from './iter/batch-by.js';

export type * from './models/spec.js';
export { getTokenizer, type Tokenizer, type TokenizerEncoding } from './models/tokenizer.js';
export * from './models/catalog.js';
export * from './models/resolve.js';
export { createOpenAIEmbedding, decodeBase64Floats, type OpenAIEmbeddingOptions, type OpenAIEmbeddingModel } from './models/openai/embedding.js';
export { createOpenAIChat, type OpenAIChatOptions } from './models/openai/chat.js';
export { openAIClient, rateLimiterFor, type OpenAIConnectionOptions } from './models/openai/client.js';
export { RateLimiter, sharedRateLimiter, resetSharedRateLimiters, parseOpenAIDuration, retryAfterMs, type RateLimits, type RateLimiterOptions, type RateLimiterState, type RateLimiterKey, type Permit } from './models/openai/rate-limiter.js';
export { sendWithRetries, type SendOptions } from './models/openai/send.js';
export { estimateChatTokens } from './models/openai/chat.js';
export * from './models/cost.js';
export * from './embed/estimate.js';
export * from './embed/batch-api.js';
export { createLexicalEmbedding, lexicalVector, LEXICAL_EMBEDDING_ID, type LexicalEmbeddingOptions } from './models/local/lexical-embedding.js';
export { createExtractiveChat, extractAnswer, EXTRACTIVE_CHAT_ID } from './models/local/extractive-chat.js';

export * from './stages/crawl.js';
export * from './stages/read-files.js';
export * from './stages/extract.js';
export type { ExtractorResult } from './extract/extractor.js';
export * from './formats/registry.js';
export type { Format, TextFormat, BytesFormat, FormatLookup, FormatMissReason } from './formats/format.js';
export { SNIFF_BYTES } from './formats/format.js';
export * from './stages/chunk.js';
export * from './stages/embed.js';
export * from './stages/store.js';
export * from './stages/metadata.js';

export { httpGet, type HttpGetOptions, type HttpResponse } from './net/http-get.js';
export { parseRobots, fetchRobots, type RobotsRules } from './crawl/robots.js';
export { parseSitemap, readSitemaps, type SitemapEntry, type ParsedSitemap, type ReadSitemapsOptions } from './crawl/sitemap.js';
export { compilePattern, stripSessionIds, CRAWL_SCOPES, type CrawlScope, type ScopeOptions, type TrapOptions } from './crawl/scope.js';
export { openCrawlState, type CrawlState, type OpenCrawlStateOptions } from './store/crawl-state.js';
export { isPrivateAddress } from './net/address-guard.js';
export { serveStatic, type StaticServer, type StaticServerOptions } from './net/static-server.js';

export { openDatabase, type Database, type DatabaseOptions } from './store/database.js';
export { migrate, readMigrations, type Migration } from './store/migrate.js';
export * from './store/collections.js';
export * from './store/documents.js';
export { copyBinary, copyChunks, encodeVector, decodeVector, supportsCopy, BinaryCopyWriter, type DocumentChunks } from './store/copy.js';
export * from './jobs/queue.js';
export * from './jobs/sources.js';
export * from './jobs/worker.js';
export { hasIterativeScan, nearestChunks, type NearChunk, type NearestChunksOptions } from './store/vector-search.js';
export { keywordMatches } from './store/keyword-search.js';
export type { StoredChunk, ChunkQueryOptions } from './store/chunk-rows.js';
export * from './retrieval/types.js';
export * from './retrieval/fuse.js';
export * from './retrieval/rerank.js';
export * from './retrieval/search-chunks.js';
export { keywordQuery, keywordTerms, keywordVector, chunkKeywords, tsvectorText, type KeywordEntry, type KeywordWeight } from './text/keywords.js';
export { encodeTsvector } from './store/encode-tsvector.js';

export * from './core/prompt.js';
export * from './core/ingest.js';
export * from './core/ingest-documents.js';
export * from './core/search.js';
export * from './core/ask.js';
export * from './core/document-source.js';
export { chatCapabilities } from './models/capabilities.js';
export * from './jobs/batch.js';
export * from './meetings/read-transcript.js';
export * from './meetings/write-minutes.js';
export * from './meetings/ingest-meeting.js';
export * from './meetings/meeting-minutes.js';
export * from './core/pack-context.js';

export { startServer, checkServerOptions, type ServerOptions, type RaglineServer } from './server/server.js';
export { HttpError } from './server/http.js';
export { standaloneQuestion, type HistoryMessage } from './server/conversation.js';

export * from './meetings/transcript.js';
export * from './meetings/parse-transcript.js';
export * from './meetings/write-transcript.js';
export * from './meetings/transcript-lines.js';
export * from './meetings/minutes.js';
export * from './meetings/templates.js';
export * from './meetings/generate-minutes.js';
export * from './meetings/render-minutes.js';
export * from './meetings/write-outputs.js';
export * from './meetings/meeting-passages.js';
export * from './meetings/split-audio.js';
export * from './meetings/transcribe-audio.js';
export { createOpenAITranscription, TRANSCRIPTION_MODELS, MAX_AUDIO_UPLOAD_BYTES, type OpenAITranscriptionOptions, type TranscriptionModelInfo } from './models/openai/transcription.js';
export { extractiveMinutes, EXTRACTIVE_MINUTES_ID, type ExtractiveMinutesOptions } from './meetings/extractive-minutes.js';
