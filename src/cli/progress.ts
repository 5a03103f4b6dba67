import type { OutputSink } from './io.js';

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. Silent when stderr is
 * not a terminal, on a CI runner (`CI` set) and on a `TERM=dumb` terminal, so logs and pipes get
 * only the final summary. Drawing never throws, whatever width the terminal reports.
 */
export interface ProgressBar {
  update(done: number, total: number | undefined, detail: string): void;
  stop(): void;
}

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** The run's environment: `CI` (set and not `0`/`false`) and `TERM=dumb` turn the bar off. */
  env?: NodeJS.ProcessEnv;
}

/** Width assumed when the terminal reports none, or a useless one (0 columns, as some pseudo-terminals do). */
const FALLBACK_COLUMNS = 80;
/** Below this the bar is not worth drawing: the final summary says it all. */
const MIN_COLUMNS = 10;

/** Whether the bar is drawn on `stream` in `env`. */
export function progressEnabled(stream: OutputSink, env: NodeJS.ProcessEnv = {}): boolean {
  if (stream.isTTY !== true) return false;
  const ci = env.CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false;
  return env.TERM !== 'dumb';
}

/** The columns to draw in: the terminal's when it reports a sensible number, else {@link FALLBACK_COLUMNS}. */
export function usableColumns(stream: OutputSink): number {
  const c = stream.columns;
  return typeof c === 'number' && Number.isInteger(c) && c >= MIN_COLUMNS ? c : FALLBACK_COLUMNS;
}

export function createProgressBar(label: string, stream: OutputSink, options: ProgressBarOptions = {}): ProgressBar {
  const enabled = progressEnabled(stream, options.env);
  let last = 0;
  let drawn = false;
  return {
    update(done, total, detail) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const width = 24;
      const ratio = total && total > 0 ? Math.min(1, Math.max(0, done / total)) : undefined;
      const bar = ratio === undefined ? '' : `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] `;
      const line = `${label} ${bar}${done}${total ? `/${total}` : ''} ${detail}`;
      // One column short of the width, so the cursor never wraps to a new line.
      const room = usableColumns(stream) - 1;
      stream.write(`\r${line.slice(0, room).padEnd(room)}`);
      drawn = true;
    },
    stop() {
      if (drawn) stream.write(`\r${' '.repeat(usableColumns(stream) - 1)}\r`);
      drawn = false;
    },
  };
}
