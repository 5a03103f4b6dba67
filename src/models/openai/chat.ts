import type OpenAI from 'openai';
import type { ChatModel, ChatRequest, ChatStreamPart, JsonSchemaResponseFormat } from '../spec.js';
import { chatModelInfo, type ChatModelOverrides } from '../catalog.js';
import { isOpenAIHost, openAIClient, toModelError, type OpenAIConnectionOptions } from './client.js';

/** Options of an OpenAI (or compatible) chat model. */
export interface OpenAIChatOptions extends OpenAIConnectionOptions, ChatModelOverrides {
  /**
   * Model id.
   * @default 'gpt-4o-mini'
   */
  model?: string;
}

/** A chat model served by the OpenAI API or any OpenAI-compatible server, always streamed. */
export function createOpenAIChat(options: OpenAIChatOptions = {}): ChatModel {
  const info = chatModelInfo(options.model ?? 'gpt-4o-mini', options);
  const client: OpenAI = openAIClient(options);
  const openai = isOpenAIHost(client);
  return {
    provider: 'openai',
    modelId: info.id,
    contextWindow: info.contextWindow,
    maxOutputTokens: info.maxOutputTokens,
    encoding: info.encoding,
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamPart> {
      let stream;
      try {
        stream = await client.chat.completions.create(
          {
            model: info.id,
            messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
            stream: true,
            // OpenAI deprecated max_tokens (reasoning models reject it); older compatible servers
            // only know max_tokens.
            ...(openai ? { max_completion_tokens: request.maxOutputTokens, stream_options: { include_usage: true } } : { max_tokens: request.maxOutputTokens }),
            ...(info.reasoning ? {} : { temperature: request.temperature ?? 0 }),
            ...(request.responseFormat ? { response_format: jsonSchemaFormat(request.responseFormat) } : {}),
          },
          request.signal ? { signal: request.signal } : undefined,
        );
      } catch (err) {
        throw toModelError(err, info.id, `Chat completion with ${info.id}`);
      }
      let finishReason: 'stop' | 'length' | 'other' = 'other';
      let usage: { inputTokens: number; outputTokens: number } | undefined;
      try {
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          const text = choice?.delta?.content;
          if (text) yield { type: 'text', text };
          if (choice?.finish_reason) finishReason = choice.finish_reason === 'stop' ? 'stop' : choice.finish_reason === 'length' ? 'length' : 'other';
          if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        }
      } catch (err) {
        throw toModelError(err, info.id, `Streaming from ${info.id}`);
      }
      yield usage ? { type: 'finish', finishReason, usage } : { type: 'finish', finishReason };
    },
  };
}

/** The API's `response_format` for a structured-output request. */
function jsonSchemaFormat(format: JsonSchemaResponseFormat) {
  return { type: 'json_schema' as const, json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? true } };
}
