/**
 * The chat models clients name on `/v1/chat/completions` (`collection:chat-model`). Each is built
 * once and kept for the next request, but only the few used most recently: model names come from
 * clients, and a cache that kept every name would grow without bound. Only the server's own model
 * and those on its allow-list can be named: a caller cannot pick an expensive model.
 */
import { checkInteger } from '../options/check.js';
import type { ChatModel } from '../models/spec.js';
import { HttpError } from './http.js';

/** Where the models come from. */
export interface ChatModelSource {
  /** The server's own chat model, answering when a request names none; always kept. */
  chat: ChatModel;
  /** Build the chat model of a name; without it, only `chat`'s own id is accepted. */
  resolveChat?: (modelId: string) => ChatModel;
  /**
   * Chat model ids a caller may name besides `chat`'s own; any other is refused with 400. `'*'`
   * allows any name `resolveChat` accepts (for a library user whose `resolveChat` decides).
   * @default [] (only `chat`)
   */
  allowedChatModels?: readonly string[];
}

/** Chat models by name, the least recently used let go beyond `max`. */
export class ChatModelCache {
  readonly #source: ChatModelSource;
  readonly #max: number;
  /** In order of use, the least recent first (a Map keeps insertion order). */
  readonly #models = new Map<string, ChatModel>();

  /** @param max most models kept besides `source.chat` */
  constructor(source: ChatModelSource, max: number) {
    this.#max = checkInteger('maxCachedChatModels', max, { min: 1 });
    this.#source = source;
  }

  /** Models kept now (besides the server's own). */
  get size(): number {
    return this.#models.size;
  }

  /** The chat model of `modelId`: the server's own when none (or its id) is named, else a kept or newly built one. */
  get(modelId?: string): ChatModel {
    const { chat, resolveChat } = this.#source;
    if (!modelId || modelId === chat.modelId) return chat;
    const allowed = this.#source.allowedChatModels ?? [];
    if (!(allowed.includes(modelId) || allowed.includes('*')) || !resolveChat) {
      const names = [chat.modelId, ...(resolveChat ? allowed : [])].map((m) => `"${m}"`).join(', ');
      throw new HttpError(400, 'invalid_request_error', `The chat model "${modelId}" is not allowed here: this server answers with ${names} (the operator allows more with \`--allow-chat-model\`).`);
    }
    const kept = this.#models.get(modelId);
    if (kept) {
      // Now the most recently used.
      this.#models.delete(modelId);
      this.#models.set(modelId, kept);
      return kept;
    }
    const built = resolveChat(modelId);
    this.#models.set(modelId, built);
    if (this.#models.size > this.#max) this.#models.delete(this.#models.keys().next().value!);
    return built;
  }
}
