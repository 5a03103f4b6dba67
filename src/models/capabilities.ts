/** Reading a model's capabilities, with the spec's defaults filled in. */
import type { ChatCapabilities, ChatModel } from './spec.js';

const CHAT_DEFAULTS: ChatCapabilities = { streaming: true, jsonSchema: true, generatesText: true };

/** The chat model's capabilities: what it declares, `true` for what it leaves out. */
export function chatCapabilities(model: Pick<ChatModel, 'capabilities'>): ChatCapabilities {
  return { ...CHAT_DEFAULTS, ...model.capabilities };
}
