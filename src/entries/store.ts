/**
 * `ragline/store`: the database (Postgres or embedded PGlite), migrations, collections, documents,
 * binary COPY, crawl state and the vector and keyword query modules. Only re-exports.
 */
export { openDatabase, migrationsDir, type Database, type DatabaseOptions } from '../store/database.js';
export { migrate, readMigrations, type Migration } from '../store/migrate.js';
export { withTransaction } from '../store/transaction.js';
export * from '../store/collections.js';
export * from '../store/documents.js';
export { copyBinary, copyChunks, encodeVector, decodeVector, supportsCopy, BinaryCopyWriter, type DocumentChunks } from '../store/copy.js';
export { openCrawlState, type CrawlState, type OpenCrawlStateOptions } from '../store/crawl-state.js';
export { hasIterativeScan, nearestChunks, type NearChunk, type NearestChunksOptions } from '../store/vector-search.js';
export { keywordMatches } from '../store/keyword-search.js';
export type { StoredChunk, ChunkQueryOptions } from '../store/chunk-rows.js';
export { encodeTsvector } from '../store/encode-tsvector.js';
export type { PreviousPage, CrawlHistory, CrawlStateEvent } from '../store/crawl-state-types.js';
