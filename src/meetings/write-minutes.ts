/** Minutes of a transcript: by the chat model with structured outputs, else extractive (offline). */
import type { ChatModel } from '../models/spec.js';
import { chatCapabilities } from '../models/capabilities.js';
import type { Transcript } from './transcript.js';
import { generateMinutes, type GenerateMinutesOptions, type MinutesResult } from './generate-minutes.js';
import { extractiveMinutes, EXTRACTIVE_MINUTES_ID } from './extractive-minutes.js';
import { resolveTemplate, type MinutesTemplate } from './templates.js';

/** Options of {@link writeMinutes}. */
export interface WriteMinutesOptions extends Omit<GenerateMinutesOptions, 'chat'> {
  /** The chat model; without one, or with one that cannot follow a JSON schema, the minutes are extractive. */
  chat?: ChatModel;
}

/** Minutes of a transcript, and what wrote them. */
export interface WrittenMinutes extends MinutesResult {
  /** `provider/model`, e.g. `openai/gpt-4o-mini` or `local/extractive-minutes-v1`. */
  generator: string;
  /** The template the minutes follow (its schema is their shape, its layout their sections). */
  template: MinutesTemplate;
}

/** Minutes with the chat model when there is one that can do structured outputs, else extractive. */
export async function writeMinutes(transcript: Transcript, options: WriteMinutesOptions = {}): Promise<WrittenMinutes> {
  const { chat, ...rest } = options;
  const template = typeof rest.template === 'object' ? rest.template : resolveTemplate(rest.template);
  if (!chat || !chatCapabilities(chat).jsonSchema) {
    // The extractive writer follows no instructions, but it fills the template's schema.
    return {
      minutes: extractiveMinutes(transcript, { schema: template.schema }),
      generator: `local/${EXTRACTIVE_MINUTES_ID}`,
      template,
      stats: { chunks: 0, calls: 0, reduceRounds: 0, promptTokens: 0, outputTokens: 0 },
    };
  }
  const result = await generateMinutes(transcript, { ...rest, template, chat });
  return { ...result, generator: `${chat.provider}/${chat.modelId}`, template };
}
