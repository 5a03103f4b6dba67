/**
 * Writes that must reach the database in the order they were asked for, without the caller
 * waiting for each: one promise chain. After the first failure the remaining writes are dropped
 * (a later write may depend on an earlier one), and `flush` reports that failure.
 */
import { StoreError } from '../errors.js';

/** An ordered queue of database writes; see the module comment. */
export class WriteChain {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  /** @param what what the writes save, for the error message: `the crawl state of https://…`. */
  constructor(private readonly what: string) {}

  /** Queue `task` after the writes queued so far; it does not run once a write has failed. */
  add(task: () => Promise<unknown>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await task();
      } catch (error) {
        this.failure = error;
      }
    });
  }

  /** Wait for the writes so far; a `StoreError` whose `cause` is the first write error if one failed. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure !== undefined) {
      throw new StoreError(`Could not save ${this.what}: ${(this.failure as Error).message}`, { cause: this.failure });
    }
  }
}
