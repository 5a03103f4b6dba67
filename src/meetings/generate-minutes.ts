/**
 * Minutes from a transcript with a chat model, map-reduce: the transcript is cut into chunks that
 * fit the model's window with room for the reply; each chunk gets its own minutes (map); the
 * prose fields (summaries, lists of sentences) are combined, in as many rounds as the window needs
 * (reduce); motions, decisions, action items and every other structured field are merged and
 * deduplicated in code, in meeting order, so none is lost in a summary. Every call asks
 * for JSON of a schema (structured outputs) at temperature 0. Nothing is ever truncated silently.
 */
import { ConfigError, ModelError } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { MINUTES_DEFAULTS } from '../options/defaults.js';
import type { ChatMessage, ChatModel } from '../models/spec.js';
import { getTokenizer, type Tokenizer } from '../models/tokenizer.js';
import { minutesFromJson, type Minutes } from './minutes.js';
import { mergeMinutes, proseFields } from './merge-minutes.js';
import { objectSchema, type JsonSchema } from './template-schemas.js';
import { formatPart, mapSystemPrompt, mapUserMessage, reduceSystemPrompt, reduceUserMessage, type PartialMinutes } from './minutes-prompts.js';
import { resolveTemplate, type MinutesTemplate } from './templates.js';
import { chunkTranscriptLines, transcriptLines, type TranscriptChunk } from './transcript-lines.js';
import type { Transcript } from './transcript.js';

/** One chat call made for the minutes. */
export interface MinutesCallEvent {
  step: 'map' | 'reduce';
  /** 1-based part (map) or group (reduce) number, and how many there are in this step. */
  part: number;
  of: number;
  promptTokens: number;
  outputTokens: number;
  ms: number;
}

/** Options of {@link generateMinutes}. */
export interface GenerateMinutesOptions {
  chat: ChatModel;
  /**
   * A template name (`general`, `council`, `board`, `standup`, `retro`, `one-on-one`, `interview`), a
   * template file (JSON, or text of instructions), or a template. Its schema is the minutes' shape.
   * @default 'general'
   */
  template?: string | MinutesTemplate;
  /** Further instructions of the user's own, added after the template's. */
  instructions?: string;
  /** The names of the voices in the meeting, told to the model (`--speakers "Name A, Name B"`). */
  speakers?: readonly string[];
  /** The meeting's title, told to the model. */
  title?: string;
  /**
   * Tokens kept for each reply.
   * @default min(2048, the model's output limit, a quarter of its window)
   */
  reserveOutputTokens?: number;
  /**
   * Upper bound on transcript tokens per call, below the window: long prompts dilute extraction.
   * @default 16000
   */
  maxChunkTokens?: number;
  /**
   * Chat calls in flight at once.
   * @default 4
   */
  concurrency?: number;
  onCall?: (event: MinutesCallEvent) => void;
  signal?: AbortSignal;
}

/** Minutes and what they cost. */
export interface MinutesResult {
  minutes: Minutes;
  stats: {
    /** Transcript chunks (map calls). */
    chunks: number;
    /** Chat calls in all. */
    calls: number;
    /** Reduce rounds (0 when the transcript fit one call). */
    reduceRounds: number;
    promptTokens: number;
    outputTokens: number;
  };
}

export { mergeActionItems } from './merge-minutes.js';

/**
 * Write minutes of a transcript with a chat model (see the module comment for how): the template's
 * schema is the shape of the reply and of the minutes.
 */
export async function generateMinutes(transcript: Transcript, options: GenerateMinutesOptions): Promise<MinutesResult> {
  const run = new MinutesRun(options);
  const chunks = run.chunk(transcript);
  const results = await run.mapChunks(chunks);
  const merged = mergeMinutes(run.schema, results);
  if (results.length === 1 || run.prose.length === 0) return { minutes: merged, stats: run.stats };
  const pick = (m: Minutes) => Object.fromEntries(run.prose.map((k) => [k, m[k]]));
  const final = await run.reduce(results.map((r, i) => ({ fields: pick(r), start: chunks[i]!.start, end: chunks[i]!.end })));
  return { minutes: { ...merged, ...final.fields }, stats: run.stats };
}

const PER_MESSAGE = 4;
const REPLY_PRIMING = 3;

type CallStep = Omit<MinutesCallEvent, 'promptTokens' | 'outputTokens' | 'ms'>;

/** One `generateMinutes` run: its checked options, and the stats its chat calls add up. */
class MinutesRun {
  readonly stats: MinutesResult['stats'] = { chunks: 0, calls: 0, reduceRounds: 0, promptTokens: 0, outputTokens: 0 };
  private readonly chat: ChatModel;
  private readonly template: MinutesTemplate;
  /** The template's schema, and the part of it a reduce step writes. */
  readonly schema: JsonSchema;
  readonly prose: string[];
  private readonly summarySchema: JsonSchema;
  private readonly reserve: number;
  private readonly maxChunkTokens: number;
  private readonly concurrency: number;
  private readonly tok: Tokenizer;
  private readonly titleLine: string;
  private readonly mapSystem: string;
  private readonly reduceSystem: string;

  constructor(private readonly options: GenerateMinutesOptions) {
    const { chat } = options;
    this.chat = chat;
    this.template = typeof options.template === 'object' ? options.template : resolveTemplate(options.template);
    this.reserve = checkInteger('reserveOutputTokens', options.reserveOutputTokens ?? Math.min(2048, chat.maxOutputTokens, Math.floor(chat.contextWindow / 4)), {
      min: 256,
      max: chat.maxOutputTokens,
      why: `${chat.modelId}'s output limit`,
    });
    this.maxChunkTokens = checkInteger('maxChunkTokens', options.maxChunkTokens ?? MINUTES_DEFAULTS.maxChunkTokens, { min: 200 });
    this.concurrency = checkInteger('concurrency', options.concurrency ?? MINUTES_DEFAULTS.concurrency, { min: 1 });
    this.tok = getTokenizer(chat.encoding);
    this.titleLine = options.title ? `Meeting: ${options.title}\n` : '';
    this.schema = this.template.schema;
    this.prose = proseFields(this.schema);
    const props = this.schema.properties as Record<string, JsonSchema>;
    this.summarySchema = objectSchema(Object.fromEntries(this.prose.map((k) => [k, props[k]!])));
    const prompt = { instructions: options.instructions, speakers: options.speakers };
    this.mapSystem = mapSystemPrompt(this.template, prompt);
    this.reduceSystem = reduceSystemPrompt(this.template, prompt);
  }

  /** The transcript in chunks that fit the window after the map prompt and the reply. */
  chunk(transcript: Transcript): TranscriptChunk[] {
    const { chat, reserve } = this;
    const overhead = this.count(this.messages(this.mapSystem, mapUserMessage(this.titleLine, undefined, 999, 999))) + 8;
    const budget = Math.min(this.maxChunkTokens, chat.contextWindow - reserve - overhead);
    if (budget < 200) {
      throw new ConfigError('chatModel', chat.modelId, `${chat.modelId}'s window of ${chat.contextWindow} tokens leaves ${budget} for transcript after the prompt and ${reserve} for the reply: use a model with a larger window or lower \`reserveOutputTokens\`.`);
    }
    const chunks = chunkTranscriptLines(transcriptLines(transcript.segments), budget, this.tok);
    this.stats.chunks = chunks.length;
    return chunks;
  }

  /** Minutes of each chunk (map), `concurrency` calls at a time, in chunk order. */
  async mapChunks(chunks: readonly TranscriptChunk[]): Promise<Minutes[]> {
    const results: Minutes[] = new Array(chunks.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
      // After a failure no new chunk is started: the calls would be paid for and thrown away.
      while (!failed && next < chunks.length) {
        const i = next++;
        results[i] = await this.mapChunk(chunks, i);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, chunks.length) }, () =>
        worker().catch((err: unknown) => {
          failed = true;
          throw err;
        }),
      ),
    );
    return results;
  }

  private async mapChunk(chunks: readonly TranscriptChunk[], i: number): Promise<Minutes> {
    const { chat } = this;
    const chunk = chunks[i]!;
    const json = await this.call(this.messages(this.mapSystem, mapUserMessage(this.titleLine, chunk, i, chunks.length)), this.schema, 'meeting_minutes', {
      step: 'map',
      part: i + 1,
      of: chunks.length,
    });
    try {
      return minutesFromJson(json, { text: chunk.text, start: chunk.start, end: chunk.end }, this.schema);
    } catch (err) {
      throw new ModelError(chat.provider, chat.modelId, `${chat.modelId}'s minutes of part ${i + 1} do not follow the schema: ${(err as Error).message}.`, { cause: err });
    }
  }

  /** Partial summaries combined in groups that fit the window, round after round, down to one. */
  async reduce(partials: PartialMinutes[]): Promise<PartialMinutes> {
    const base = this.count(this.messages(this.reduceSystem, reduceUserMessage(this.titleLine, []))) + 8;
    const budget = this.chat.contextWindow - this.reserve - base;
    while (partials.length > 1) {
      this.stats.reduceRounds++;
      const groups = this.groupParts(partials, budget);
      const round = this.stats.reduceRounds;
      partials = await Promise.all(
        groups.map(async (g, i) => (g.length === 1 ? g[0]! : this.reduceGroup(g, { step: 'reduce', part: i + 1, of: groups.length }, round))),
      );
    }
    return partials[0]!;
  }

  /** Consecutive parts in groups whose quotes fit `budget` tokens; a `ConfigError` when no two parts fit. */
  private groupParts(partials: readonly PartialMinutes[], budget: number): PartialMinutes[][] {
    const { chat } = this;
    const groups: PartialMinutes[][] = [];
    let group: PartialMinutes[] = [];
    let used = 0;
    for (const p of partials) {
      const cost = this.tok.count(formatPart(p, group.length + 1)) + 2;
      if (cost > budget) {
        throw new ConfigError('chatModel', chat.modelId, `One part's minutes take ${cost} tokens, more than ${chat.modelId}'s window leaves for a reduce step (${budget}): lower \`maxChunkTokens\`.`);
      }
      if (group.length > 0 && used + cost > budget) {
        groups.push(group);
        group = [];
        used = 0;
      }
      group.push(p);
      used += cost;
    }
    groups.push(group);
    if (groups.length === partials.length) {
      // Every group holds one part: the window fits no two summaries, and another round would not shrink them.
      throw new ConfigError('chatModel', chat.modelId, `${chat.modelId}'s window cannot hold two partial summaries at once; use a larger model or lower \`reserveOutputTokens\`.`);
    }
    return groups;
  }

  private async reduceGroup(group: readonly PartialMinutes[], step: CallStep, round: number): Promise<PartialMinutes> {
    const { chat } = this;
    const user = reduceUserMessage(
      this.titleLine,
      group.map((p, n) => formatPart(p, n + 1)),
    );
    const json = await this.call(this.messages(this.reduceSystem, user), this.summarySchema, 'meeting_summary', step);
    let fields: Minutes;
    try {
      fields = minutesFromJson(json, undefined, this.summarySchema);
    } catch (err) {
      throw new ModelError(chat.provider, chat.modelId, `${chat.modelId}'s summary in reduce round ${round} does not follow the schema: ${(err as Error).message}.`, { cause: err });
    }
    return { fields, start: group[0]!.start, end: group.at(-1)!.end };
  }

  /** One chat call for JSON of `schema`: counted in the stats, reported to `onCall`, its reply parsed. */
  private async call(messages: ChatMessage[], schema: JsonSchema, name: string, step: CallStep): Promise<unknown> {
    const { chat, reserve } = this;
    const started = performance.now();
    const promptTokens = this.count(messages);
    if (promptTokens + reserve > chat.contextWindow) {
      // The packing prevents this; a guard rather than a context_length_exceeded from the API.
      throw new ConfigError('maxChunkTokens', promptTokens, `A ${step.step} prompt of ${promptTokens} tokens does not fit ${chat.modelId}'s window of ${chat.contextWindow} with ${reserve} kept for the reply.`);
    }
    const reply = await this.complete(messages, schema, name);
    const outputTokens = reply.outputTokens ?? this.tok.count(reply.text);
    this.stats.calls++;
    this.stats.promptTokens += promptTokens;
    this.stats.outputTokens += outputTokens;
    this.options.onCall?.({ ...step, promptTokens, outputTokens, ms: Math.round(performance.now() - started) });
    if (reply.finish === 'length') {
      throw new ModelError(chat.provider, chat.modelId, `The ${step.step} reply for part ${step.part} of ${step.of} was cut at ${reserve} tokens: raise \`reserveOutputTokens\` or lower \`maxChunkTokens\`.`, { code: 'length' });
    }
    try {
      return JSON.parse(reply.text);
    } catch (err) {
      throw new ModelError(chat.provider, chat.modelId, `${chat.modelId} did not reply with JSON for the ${step.step} of part ${step.part} of ${step.of} (it began "${reply.text.slice(0, 60)}").`, { cause: err });
    }
  }

  /** The streamed reply at temperature 0, read to its end. */
  private async complete(messages: ChatMessage[], schema: JsonSchema, name: string): Promise<{ text: string; finish: string; outputTokens: number | undefined }> {
    let text = '';
    let finish = 'other';
    let outputTokens: number | undefined;
    for await (const part of this.chat.stream({
      messages,
      maxOutputTokens: this.reserve,
      temperature: 0,
      responseFormat: { type: 'json_schema', name, schema, strict: true },
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    })) {
      if (part.type === 'text') text += part.text;
      else {
        finish = part.finishReason;
        outputTokens = part.usage?.outputTokens;
      }
    }
    return { text, finish, outputTokens };
  }

  private messages(system: string, user: string): ChatMessage[] {
    return [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ];
  }

  private count(messages: readonly ChatMessage[]): number {
    return messages.reduce((n, m) => n + PER_MESSAGE + this.tok.count(m.content), REPLY_PRIMING);
  }
}
