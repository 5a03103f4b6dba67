/**
 * `ragline/retrieval`: the steps behind `search` and `ask` — planning, vector and keyword
 * candidates, rank fusion, reranking, packing sources into the chat model's window, the answer
 * prompt — for composing a retrieval of your own. Only re-exports.
 */
export * from '../retrieval/types.js';
export * from '../retrieval/search-chunks.js';
export * from '../retrieval/fuse.js';
export * from '../retrieval/rerank.js';
export { queryEmbeddingModel } from '../core/search.js';
export { retrieveContext } from '../core/ask.js';
export * from '../core/pack-context.js';
export * from '../core/prompt.js';
