/** Wait for something to happen, instead of sleeping for a time it usually takes. */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /**
   * Give up (throw) after this long.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Time between two checks.
   * @default 20
   */
  intervalMs?: number;
  /** What is awaited, for the timeout's message. */
  what?: string;
}

/** A value that is not false, 0, '', null or undefined. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Resolve with the first truthy value of `condition`, checked now and then every `intervalMs`;
 * reject once `timeoutMs` has passed without one.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 30_000, intervalMs = 20, what = 'the condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
