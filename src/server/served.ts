/**
 * Which collections the server serves, and whether it can serve each: a server started for some
 * collections answers 404 for every other (on every route), and a collection whose embedding
 * model cannot be built here (e.g. built with OpenAI, served without a key) answers 503 with the
 * reason, instead of failing every request with an internal error.
 */
import { getCollection, listCollections, type Collection, type CollectionStats } from '../store/collections.js';
import { queryEmbeddingModel, type EmbeddingChoice } from '../core/search.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import type { Database } from '../store/database.js';
import { HttpError } from './http.js';

/** A served collection the server cannot answer for, and why. */
export interface UnservableCollection {
  collection: string;
  reason: string;
}

/** The served collections of one server. */
export class ServedCollections {
  /** The names served, in the order given; undefined: every collection in the store. */
  readonly names: readonly string[] | undefined;

  constructor(
    private readonly db: Database,
    names: readonly string[] | undefined,
    private readonly embedding: EmbeddingChoice | undefined,
    private readonly connection: OpenAIConnectionOptions,
  ) {
    this.names = names && names.length > 0 ? [...new Set(names)] : undefined;
  }

  /** Whether `name` is one the server serves (it may not exist yet). */
  isServed(name: string): boolean {
    return this.names === undefined || this.names.includes(name);
  }

  /** The served collections that exist, in the order given (else by name). */
  async list(): Promise<CollectionStats[]> {
    const all = await listCollections(this.db.pool);
    if (!this.names) return all;
    const byName = new Map(all.map((c) => [c.name, c]));
    return this.names.flatMap((n) => byName.get(n) ?? []);
  }

  /** Why the server cannot answer for `collection`, or undefined when it can. */
  problemOf(collection: Collection): string | undefined {
    try {
      queryEmbeddingModel(collection, this.embedding, this.connection);
      return undefined;
    } catch (err) {
      return `Collection "${collection.name}" cannot be served here: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** The served collections that exist but cannot be answered for, with the reason. */
  async unservable(): Promise<UnservableCollection[]> {
    return (await this.list()).flatMap((c) => {
      const reason = this.problemOf(c);
      return reason ? [{ collection: c.name, reason }] : [];
    });
  }

  /** The served names that do not exist in the store (yet). */
  async missing(): Promise<string[]> {
    if (!this.names) return [];
    const present = new Set((await this.list()).map((c) => c.name));
    return this.names.filter((n) => !present.has(n));
  }

  /**
   * The collection `name` if the server serves it and can answer for it: 404 when it is not served
   * or does not exist, 503 when it cannot be served here.
   */
  async require(name: string): Promise<Collection> {
    const found = this.isServed(name) ? await getCollection(this.db.pool, name) : undefined;
    if (!found) throw new HttpError(404, 'not_found_error', `No collection named "${name}" is served here (see GET /api/collections).`);
    const problem = this.problemOf(found);
    if (problem) throw new HttpError(503, 'collection_unavailable', problem);
    return found;
  }
}
