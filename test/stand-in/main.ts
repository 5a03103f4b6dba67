/**
 * Run the OpenAI stand-in from the command line, for benchmarks and manual runs:
 *
 *   node dist/test/stand-in/main.js --port 8787 [--latency-ms 50] [--stream-delay-ms 5]
 *     [--rpm N] [--tpm N] [--fault-rate 0.2] [--seed 1]
 *
 * It prints `OPENAI_BASE_URL=http://127.0.0.1:PORT/v1` (so a script can `eval` or grep it) and
 * serves until it gets SIGINT or SIGTERM.
 *
 * Run this way, it answers like a small, honest model: embeddings are ragline's lexical vectors
 * (stemmed words and pairs, so retrieval through it behaves like the offline model), and a chat
 * request built from ragline's answer prompt is answered by quoting the best sentences of its
 * sources with citations, or "I don't know." — so `ragline ask` through it shows real answers.
 */

import { parseArgs } from 'node:util';
import { defaultRespond, startOpenAIStandIn, type OpenAIStandInOptions, type StandInChatMessage } from './openai-stand-in.js';
import { lexicalVector } from '../../src/models/local/lexical-embedding.js';
import { DONT_KNOW, extractAnswer, formatAnswer } from '../../src/models/local/extractive-chat.js';
import { parseUserMessage } from '../../src/core/prompt.js';
import { structuredRespond } from './structured.js';

/** Quote the sources of a ragline answer prompt; any other prompt gets the default reply. */
function respond(messages: StandInChatMessage[]): string {
  const user = [...messages].reverse().find((m) => m.role === 'user');
  const { sources, question } = parseUserMessage(user?.content ?? '');
  if (sources.length === 0) return defaultRespond(messages);
  const picks = extractAnswer(question, sources);
  return picks.length === 0 ? DONT_KNOW : formatAnswer(picks);
}

const USAGE =
  'usage: main.js [--port N] [--host ADDR] [--latency-ms N] [--stream-delay-ms N] [--rpm N] [--tpm N] ' +
  '[--fault-rate 0..1] [--seed N] [--fault-delay-ms N] [--fault-retry-after-ms N]';

/** Numeric flags and the option each one sets. */
const NUMERIC_FLAGS = {
  port: 'port',
  'latency-ms': 'latencyMs',
  'stream-delay-ms': 'streamDelayMs',
  rpm: 'rpm',
  tpm: 'tpm',
  'fault-rate': 'faultRate',
  seed: 'seed',
  'fault-delay-ms': 'faultDelayMs',
  'fault-retry-after-ms': 'faultRetryAfterMs',
} as const satisfies Record<string, keyof OpenAIStandInOptions>;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        ...Object.fromEntries(Object.keys(NUMERIC_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }

  // json_schema requests (meeting minutes) get valid JSON of their schema; ragline answer
  // prompts get quoted sources; anything else the default reply.
  const options: OpenAIStandInOptions = { embed: lexicalVector, respond: structuredRespond({ fallback: respond }) };
  for (const [flag, option] of Object.entries(NUMERIC_FLAGS) as Array<[string, (typeof NUMERIC_FLAGS)[keyof typeof NUMERIC_FLAGS]]>) {
    const text = (parsed.values as Record<string, string | boolean | undefined>)[flag];
    if (typeof text !== 'string') continue;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) fail(`--${flag} must be a number, got "${text}"`);
    options[option] = value;
  }
  if (typeof parsed.values.host === 'string') options.host = parsed.values.host;

  let standIn;
  try {
    standIn = await startOpenAIStandIn(options);
  } catch (err) {
    fail(`could not start the stand-in: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`OPENAI_BASE_URL=${standIn.url}`);

  const stop = (): void => {
    standIn.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
