/** Moderation of questions with the OpenAI moderation endpoint (`--moderate`). */
import type OpenAI from 'openai';
import { toModelError } from '../models/openai/client.js';
import { HttpError } from './http.js';

/** The moderation model asked. */
export const MODERATION_MODEL = 'omni-moderation-latest';

/** Refuse (400 `content_policy_violation`) a question the moderation endpoint flags. */
export async function checkModeration(client: OpenAI, text: string, signal?: AbortSignal): Promise<void> {
  let flagged: string[] | undefined;
  try {
    const response = await client.moderations.create({ model: MODERATION_MODEL, input: text }, signal ? { signal } : undefined);
    const result = response.results[0];
    if (result?.flagged) {
      flagged = Object.entries(result.categories as unknown as Record<string, boolean>)
        .filter(([, hit]) => hit)
        .map(([name]) => name);
    }
  } catch (err) {
    throw await toModelError(err, MODERATION_MODEL, 'Moderation');
  }
  if (flagged) {
    throw new HttpError(400, 'content_policy_violation', `The question was flagged by moderation${flagged.length ? ` (${flagged.join(', ')})` : ''} and was not answered.`);
  }
}
