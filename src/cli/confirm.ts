/** Asking the user before doing something that cannot be undone. */
import { createInterface } from 'node:readline';
import type { CliIo } from './io.js';

/**
 * Ask `question` on stderr and read one line of stdin: true for `y` or `yes` (any case), false for
 * anything else or the end of the input. Undefined when stdin is not a terminal: nobody is there to
 * answer, and the caller refuses (naming the flag that skips the question). Ctrl-C (`signal`)
 * while waiting rejects with the signal's reason.
 */
export async function confirm(io: CliIo, question: string, signal?: AbortSignal): Promise<boolean | undefined> {
  const input = io.stdin;
  if (input?.isTTY !== true) return undefined;
  io.stderr.write(`${question} [y/N] `);
  const lines = createInterface({ input, terminal: false });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (line: string) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(line);
      };
      lines.once('line', done);
      lines.once('close', () => done(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    lines.close();
  }
}
