/**
 * ragline — ingest documents, search them, ask questions answered from them.
 *
 * The root export is the core: `ingest`, `search`, `ask`, the database, the model specs and
 * providers, collections, the meeting and job entry points. Everything else is a subpath:
 * `ragline/stages`, `ragline/store`, `ragline/openai`, `ragline/retrieval`, `ragline/meetings`,
 * `ragline/jobs`, `ragline/server`. This module only re-exports, by name.
 */
export { RaglineError, ConfigError, FetchError, ModelError, StoreError, InputError, UnreadableDocumentError, type RaglineErrorOptions } from './errors.js';
export type { SourceDocument, ExtractedDocument, Block, BlockKind, Chunk, EmbeddedChunk, ChunkedDocument, EmbeddedDocument } from './types.js';
export {
  DEFAULT_COLLECTION,
  CRAWL_DEFAULTS,
  HTTP_DEFAULTS,
  READ_FILES_DEFAULTS,
  CHUNK_DEFAULTS,
  EMBED_DEFAULTS,
  BATCH_API_DEFAULTS,
  SEARCH_DEFAULTS,
  ASK_DEFAULTS,
  EVAL_DEFAULTS,
  JOB_DEFAULTS,
  WORKER_DEFAULTS,
  MINUTES_DEFAULTS,
  SERVER_DEFAULTS,
} from './options/defaults.js';

export { ingest, describeSkips, skipWords, type IngestOptions, type IngestBaseOptions, type IngestProgress, type IngestSummary, type IngestSkip } from './core/ingest.js';
export { ingestDocuments, type IngestDocumentsOptions, type TextDocument } from './core/ingest-documents.js';
export { search, type SearchCollectionOptions, type EmbeddingChoice } from './core/search.js';
export { ask, askStream, type AskOptions, type AskEvent, type AskResult } from './core/ask.js';
export type { AnswerSource } from './core/pack-context.js';
export type { SearchOptions, SearchResult } from './retrieval/types.js';
export type { MetadataCondition } from './store/metadata-sql.js';
export type { NoiseReason } from './retrieval/noise.js';
export { evaluate, type EvaluateOptions, type EvalReport, type QuestionResult } from './core/evaluate.js';
export type { EvalSummary, AnswerSummary } from './core/eval-metrics.js';
export { parseEvalQuestions, samePage, type EvalQuestion } from './core/eval-questions.js';
export { renderEvalReport } from './core/eval-report.js';
export { resolveReranker, type ResolveRerankerOptions } from './models/rerank/resolve-reranker.js';
export { createHttpReranker, type HttpRerankerOptions } from './models/rerank/http-reranker.js';
export { createLlmReranker, type LlmRerankerOptions } from './models/rerank/llm-reranker.js';
export type { ChunkMetadata } from './stages/metadata.js';

export { openDatabase, type Database, type DatabaseOptions } from './store/database.js';
export {
  ensureCollection,
  getCollection,
  requireCollection,
  listCollections,
  configureCollectionIndex,
  HNSW_DEFAULTS,
  type Collection,
  type CollectionStats,
  type HnswSettings,
  type EnsureCollectionOptions,
  type ConfigureIndexResult,
} from './store/collections.js';
export { deleteCollection, dropCollection, renameCollection, type DeletedCollection, type RenamedCollection } from './store/collection-changes.js';
export { listDocuments, removeDocuments, type DocumentListing, type ListDocumentsOptions, type RemovedDocuments } from './store/document-list.js';

export type * from './models/spec.js';
export { getTokenizer, type Tokenizer, type TokenizerEncoding } from './models/tokenizer.js';
export { chatCapabilities } from './models/capabilities.js';
export {
  registerProvider,
  providerNames,
  getProvider,
  defaultProvider,
  resolveEmbeddingModel,
  resolveChatModel,
  resolveTranscriptionModel,
  embeddingModelForCollection,
  describeModels,
  type ModelProvider,
  type ModelSelection,
  type CollectionModel,
} from './models/resolve.js';
export { createOpenAIEmbedding, type OpenAIEmbeddingOptions, type OpenAIEmbeddingModel } from './models/openai/embedding.js';
export { createOpenAIChat, type OpenAIChatOptions } from './models/openai/chat.js';
export type { OpenAIConnectionOptions } from './models/openai/client.js';
export { createLexicalEmbedding, lexicalVector, LEXICAL_EMBEDDING_ID, type LexicalEmbeddingOptions } from './models/local/lexical-embedding.js';
export { createExtractiveChat, extractAnswer, EXTRACTIVE_CHAT_ID } from './models/local/extractive-chat.js';

export { pipe, collect, drain, type Stage, type PipeSource } from './iter/pipe.js';
export { registerFormat, formatForFile, formatForResponse, supportedExtensions, supportedMediaTypes } from './formats/registry.js';
export type { Format, TextFormat, BytesFormat, FormatLookup, FormatMissReason } from './formats/format.js';
export type { ExtractorResult } from './extract/extractor.js';

export { meetingMinutes, type MeetingMinutesOptions, type MeetingMinutesResult } from './meetings/meeting-minutes.js';
export { readTranscript, type ReadTranscriptOptions } from './meetings/read-transcript.js';
export { writeMinutes, type WriteMinutesOptions, type WrittenMinutes } from './meetings/write-minutes.js';
export { ingestMeeting, type IngestMeetingOptions, type MeetingIngestSummary } from './meetings/ingest-meeting.js';
export { writeOutputs, planOutputs, type PlannedOutput, type PlanOutputsOptions, type OutputFormat } from './meetings/write-outputs.js';
export type { MeetingRecord } from './meetings/render-minutes.js';
export type { Transcript, TranscriptSegment } from './meetings/transcript.js';
export type { Minutes, ActionItem, Decision, Motion, Sentiment } from './meetings/minutes.js';
export { resolveTemplate, MINUTES_TEMPLATES, type MinutesTemplate, type LayoutSection } from './meetings/templates.js';

export { queueIngest, batchIngest, type QueueIngestOptions, type BatchIngestResult } from './jobs/batch.js';
export { runWorker, type WorkerOptions, type WorkerSummary, type WorkerEvent } from './jobs/worker.js';
export { countJobs, type Job, type JobState, type JobKind } from './jobs/queue.js';
export type { IngestSettings } from './core/ingest-settings.js';
