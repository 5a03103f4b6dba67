/**
 * ragline — retrieval/Q&A pipelines on the OpenAI API with Postgres/pgvector.
 * This module only re-exports; see the folders for the stages, models, store and interfaces.
 */
export * from './errors.js';
export type * from './types.js';

export { pipe, drain, collect, type Stage } from './iter/pipe.js';
export { parallelMap, type ParallelMapOptions } from './iter/parallel-map.js';
export { batchBy, splitBy } from './iter/batch-by.js';

export type * from './models/spec.js';
export { getTokenizer, type Tokenizer, type TokenizerEncoding } from './models/tokenizer.js';
export * from './models/catalog.js';
export * from './models/resolve.js';
export { createOpenAIEmbedding, decodeBase64Floats, type OpenAIEmbeddingOptions } from './models/openai/embedding.js';
export { createOpenAIChat, type OpenAIChatOptions } from './models/openai/chat.js';
export { openAIClient, type OpenAIConnectionOptions } from './models/openai/client.js';
export { createLexicalEmbedding, lexicalVector, LEXICAL_EMBEDDING_ID, type LexicalEmbeddingOptions } from './models/local/lexical-embedding.js';
export { createExtractiveChat, extractAnswer, EXTRACTIVE_CHAT_ID, DONT_KNOW } from './models/local/extractive-chat.js';

export * from './stages/crawl.js';
export * from './stages/read-files.js';
export * from './stages/extract.js';
export * from './stages/chunk.js';
export * from './stages/embed.js';
export * from './stages/store.js';

export { httpGet, type HttpGetOptions, type HttpResponse } from './net/http-get.js';
export { isPrivateAddress } from './net/address-guard.js';
export { serveStatic, type StaticServer, type StaticServerOptions } from './net/static-server.js';

export { openDatabase, type Database, type DatabaseOptions } from './store/database.js';
export { migrate, readMigrations, type Migration } from './store/migrate.js';
export * from './store/collections.js';
export * from './store/documents.js';
export * from './store/search.js';

export * from './ask/prompt.js';
export * from './ask/pack-context.js';
