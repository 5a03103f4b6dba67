/**
 * Motions found vs the motions a careful read finds, on the three real council transcripts
 * (../shared/corpora/transcripts; expected motions in test/fixtures/minutes-eval/, with how they
 * were read). Per transcript, a row for:
 * - local: the offline (extractive) minutes, `--template council`;
 * - stand-in: the OpenAI stand-in as it is (it understands nothing: it quotes sentences, so this row
 *   measures what the checks let through, not a model);
 * - stand-in + detector, 8k map-reduce: the stand-in answering each chunk's motions with the offline
 *   detector, through a gpt-4 (8k window) map-reduce — it measures whether chunking and merging keep
 *   every motion once and in order.
 * A found motion matches an expected one when its time falls in the expected span (±15 s); each
 * expected motion matches once. `optional` ones neither count toward recall nor against precision.
 *
 *   npm run bench:minutes-eval          (RAGLINE_CORPORA=/path/to/corpora when not at ../shared/corpora)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { startOpenAIStandIn } from '../test/stand-in/openai-stand-in.js';
import { structuredRespond } from '../test/stand-in/structured.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { parseTranscript } from '../src/meetings/parse-transcript.js';
import { generateMinutes } from '../src/meetings/generate-minutes.js';
import { extractiveMinutes } from '../src/meetings/extractive-minutes.js';
import { findMotions } from '../src/meetings/extractive-council.js';
import { resolveTemplate } from '../src/meetings/templates.js';
import { itemsOf, type Motion } from '../src/meetings/minutes.js';
import { parseClock, type TranscriptSegment } from '../src/meetings/transcript.js';
import { corpusPath } from '../test/support/corpora.js';

interface Expected {
  from: string;
  to: string;
  text: string;
  mover?: string | null;
  optional?: boolean;
}

/** True positives, false positives, misses, and movers that agree, of `found` against `expected`. */
export function score(found: readonly Motion[], expected: readonly Expected[]) {
  const used = new Set<number>();
  let tp = 0;
  let fp = 0;
  let optional = 0;
  let movers = 0;
  let moverChecks = 0;
  for (const m of found) {
    const t = m.timestamp ? parseClock(m.timestamp) : undefined;
    const i = t === undefined ? -1 : expected.findIndex((e, j) => !used.has(j) && t >= parseClock(e.from)! - 15 && t <= parseClock(e.to)! + 15);
    if (i < 0) {
      fp++;
      continue;
    }
    used.add(i);
    const e = expected[i]!;
    if (e.optional) {
      optional++;
      continue;
    }
    tp++;
    if (e.mover && m.mover) {
      moverChecks++;
      if (e.mover.toLowerCase().includes(m.mover.toLowerCase().replace(/^the /, ''))) movers++;
    }
  }
  const required = expected.filter((e) => !e.optional).length;
  return { tp, fp, fn: required - tp, found: found.length - optional, required, movers, moverChecks };
}

const pct = (n: number, d: number) => (d === 0 ? '   —  ' : `${((100 * n) / d).toFixed(0).padStart(4)} %`);

/** The `[hh:mm:ss] text` lines of a map prompt as segments, for the detector to read. */
function promptSegments(prompt: string): TranscriptSegment[] {
  const out: TranscriptSegment[] = [];
  for (const line of prompt.split('\n')) {
    const m = /^\[(\d\d:\d\d:\d\d)\] (?:>> )?(.*)$/.exec(line);
    if (m) out.push({ start: parseClock(m[1]!)!, end: parseClock(m[1]!)!, text: m[2]! });
  }
  return out;
}

// RAGLINE_CORPORA points elsewhere when the checkout is not next to shared/ (a worktree).
const corpora = corpusPath('transcripts');
const expectedAll = JSON.parse(readFileSync(path.join(packageRoot(), 'test/fixtures/minutes-eval/expected-motions.json'), 'utf8')) as Record<string, Expected[]>;
if (!existsSync(corpora)) {
  console.log('Minutes eval: skipped, ../shared/corpora/transcripts is absent');
  process.exit(0);
}
const council = resolveTemplate('council');
const plain = await startOpenAIStandIn({ respond: structuredRespond() });
const detecting = await startOpenAIStandIn({
  respond: structuredRespond({ fill: (p, _schema, messages) => (p === 'motions' ? findMotions(promptSegments(messages.at(-1)?.content ?? '')) : undefined) }),
});
try {
  for (const [file, expected] of Object.entries(expectedAll)) {
    const transcript = parseTranscript(readFileSync(path.join(corpora, file), 'utf8'));
    console.log(`\n${file} (${transcript.segments.length} cues): ${expected.filter((e) => !e.optional).length} motions expected`);
    console.log('  model                                      found  TP  FP  FN  precision  recall  mover agrees');
    const rows: Array<[string, Motion[]]> = [['local (extractive)', itemsOf<Motion>(extractiveMinutes(transcript, { schema: council.schema }), 'motions')]];
    for (const [name, standIn, model] of [
      ['stand-in, gpt-4o-mini (1 call)', plain, 'gpt-4o-mini'],
      ['stand-in + detector, gpt-4 (8k)', detecting, 'gpt-4'],
    ] as const) {
      const chat = createOpenAIChat({ apiKey: 'bench', baseURL: standIn.url, model, maxRetries: 0 });
      const { minutes, stats } = await generateMinutes(transcript, { chat, template: council, maxChunkTokens: model === 'gpt-4' ? 2000 : 16000 });
      rows.push([`${name}, ${stats.chunks} chunk${stats.chunks === 1 ? '' : 's'}`, itemsOf<Motion>(minutes, 'motions')]);
    }
    for (const [name, found] of rows) {
      const s = score(found, expected);
      console.log(
        `  ${name.padEnd(42)} ${String(s.found).padStart(5)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)}  ${pct(s.tp, s.tp + s.fp).padStart(9)}  ${pct(s.tp, s.required).padStart(6)}  ${s.moverChecks ? `${s.movers}/${s.moverChecks}` : '—'}`,
      );
    }
  }
} finally {
  await Promise.all([plain.close(), detecting.close()]);
}
