/** Search: a question embedded by the collection's model, then the retrieval steps. */
import { ConfigError } from '../errors.js';
import { checkMetadata } from '../stages/metadata.js';
import { DEFAULT_COLLECTION } from '../options/defaults.js';
import type { Database } from '../store/database.js';
import { checkHnswSettings, checkCollectionModel, requireCollection, type Collection } from '../store/collections.js';
import type { EmbeddingModel } from '../models/spec.js';
import { embeddingModelForCollection } from '../models/resolve.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import { searchChunks } from '../retrieval/search-chunks.js';
import { parseCondition } from '../retrieval/metadata-conditions.js';
import type { SearchOptions, SearchResult } from '../retrieval/types.js';

/** Options of {@link search}. */
export interface SearchCollectionOptions extends SearchOptions {
  db: Database;
  /** @default 'default' */
  collection?: string;
  query: string;
  /**
   * The model that embeds the question: it must be the one the collection was built with (same
   * provider, model id and dimensions; checked). A function picks it per collection (a server
   * serving several); returning undefined falls back to the default.
   * @default rebuilt from the collection's stored provider and model through the provider registry
   */
  embedding?: EmbeddingChoice;
  /** How to reach the API when the model is rebuilt and is an OpenAI one. */
  connection?: OpenAIConnectionOptions;
  signal?: AbortSignal;
}

/** An embedding model, or a function that picks one for a collection (undefined: the default). */
export type EmbeddingChoice = EmbeddingModel | ((collection: Collection) => EmbeddingModel | undefined);

/**
 * The collection's embedding model: the one given (checked against what the collection was built
 * with), else rebuilt through the provider registry.
 */
export function queryEmbeddingModel(collection: Collection, choice: EmbeddingChoice | undefined, connection?: OpenAIConnectionOptions): EmbeddingModel {
  const given = typeof choice === 'function' ? choice(collection) : choice;
  if (!given) return embeddingModelForCollection(collection, connection);
  checkCollectionModel(collection, given);
  return given;
}

async function embedQuery(model: EmbeddingModel, text: string, signal?: AbortSignal): Promise<Float32Array> {
  const { embeddings } = await model.embed({ inputs: [text], ...(signal ? { signal } : {}) });
  return embeddings[0]!;
}

/**
 * Top chunks of a collection for a query: vector and keyword retrieval fused by reciprocal rank,
 * then reranked when a `reranker` is given. `filter` keeps only chunks whose metadata contains it
 * (`{ product: 'api' }`); `efSearch` overrides the collection's HNSW candidate list size.
 */
export async function search(options: SearchCollectionOptions): Promise<SearchResult[]> {
  const { db, collection: name = DEFAULT_COLLECTION, query, embedding, connection, signal, ...searchOptions } = options;
  if (!query.trim()) throw new ConfigError('query', query, 'The query is empty: give a question or keywords.');
  // Checked before the question is embedded: a bad filter or efSearch costs no API call.
  if (searchOptions.filter !== undefined) checkMetadata(searchOptions.filter, 'filter');
  if (searchOptions.efSearch !== undefined) checkHnswSettings({ efSearch: searchOptions.efSearch });
  for (const c of searchOptions.where ?? []) if (typeof c === 'string') parseCondition(c);
  const collection = await requireCollection(db.pool, name);
  const model = queryEmbeddingModel(collection, embedding, connection);
  const vector = searchOptions.mode === 'keyword' ? undefined : await embedQuery(model, query, signal);
  return searchChunks(db.pool, collection, { text: query, ...(vector ? { vector } : {}) }, searchOptions, signal);
}
