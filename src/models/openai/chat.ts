import type { ChatModel, ChatRequest, ChatStreamPart, JsonSchemaResponseFormat } from '../spec.js';
import { chatModelInfo, type ChatModelOverrides } from '../catalog.js';
import { isOpenAIHost, lazyOpenAIClient, openAITarget, rateLimiterFor, toModelError, type OpenAIConnectionOptions } from './client.js';
import { getTokenizer } from '../tokenizer.js';
import { sendWithRetries } from './send.js';

/**
 * Tokens a chat request spends of the TPM budget, as OpenAI counts it before answering: the prompt
 * (content plus a few tokens of framing per message) and the whole `max_tokens`.
 */
export function estimateChatTokens(request: Pick<ChatRequest, 'messages' | 'maxOutputTokens'>, encoding: ChatModel['encoding']): number {
  const tokenizer = getTokenizer(encoding);
  const prompt = request.messages.reduce((n, m) => n + 4 + tokenizer.count(m.content), 3);
  return prompt + request.maxOutputTokens;
}

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
  const target = openAITarget(options);
  const client = lazyOpenAIClient(options);
  const openai = isOpenAIHost(target);
  return {
    provider: 'openai',
    modelId: info.id,
    contextWindow: info.contextWindow,
    maxOutputTokens: info.maxOutputTokens,
    encoding: info.encoding,
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamPart> {
      const limiter = rateLimiterFor(target, info.id, options);
      const sdkClient = await client();
      const { data: stream } = await sendWithRetries(
        {
          limiter,
          tokens: estimateChatTokens(request, info.encoding),
          model: info.id,
          what: `Chat completion with ${info.id}`,
          ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        },
        // Only the start of the stream is retried: text already yielded cannot be taken back.
        (signal) =>
          sdkClient.chat.completions
            .create(
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
              signal ? { signal } : undefined,
            )
            .withResponse(),
      );
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
        throw await toModelError(err, info.id, `Streaming from ${info.id}`);
      }
      yield usage ? { type: 'finish', finishReason, usage } : { type: 'finish', finishReason };
    },
  };
}

/** The API's `response_format` for a structured-output request. */
function jsonSchemaFormat(format: JsonSchemaResponseFormat) {
  return { type: 'json_schema' as const, json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? true } };
}
