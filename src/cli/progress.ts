import type { OutputSink } from './io.js';

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. Silent when stderr is
 * not a terminal, so logs and pipes get only the final summary.
 */
export interface ProgressBar {
  update(done: number, total: number | undefined, detail: string): void;
  stop(): void;
}

export function createProgressBar(label: string, stream: OutputSink): ProgressBar {
  const enabled = stream.isTTY === true;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, detail) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const width = 24;
      const ratio = total && total > 0 ? Math.min(1, done / total) : undefined;
      const bar = ratio === undefined ? '' : `[${'#'.repeat(Math.round(ratio * width)).padEnd(width, '.')}] `;
      const line = `${label} ${bar}${done}${total ? `/${total}` : ''} ${detail}`;
      const columns = stream.columns ?? 100;
      stream.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
      drawn = true;
    },
    stop() {
      if (drawn) stream.write(`\r${' '.repeat((stream.columns ?? 100) - 1)}\r`);
      drawn = false;
    },
  };
}
