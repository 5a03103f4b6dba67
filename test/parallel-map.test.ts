import { parallelMap } from '../src/iter/parallel-map.js';
import { collect } from '../src/iter/pipe.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('parallelMap', () => {
  test('keeps source order and never exceeds the concurrency limit', async () => {
    let inFlight = 0;
    let peak = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) yield i;
    }
    const out = await collect(
      parallelMap(source(), async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        for (let t = 0; t < 20 - i; t++) await tick();
        inFlight--;
        return i * 2;
      }, { concurrency: 3 }),
    );
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(peak).toBe(3);
  });

  test('yields a finished result without waiting for a slow source to produce its next item', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* source() {
      yield 1;
      await gate; // the source stalls, e.g. a crawl waiting on a slow page
      yield 2;
    }
    const it = parallelMap(source(), async (x) => x * 10, { concurrency: 2 });
    expect(await it.next()).toEqual({ value: 10, done: false });
    release();
    expect(await collect(it)).toEqual([20]);
  });

  test('the first error reaches the consumer and the source is stopped', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    await expect(collect(parallelMap(source(), async (i) => { if (i === 3) throw new Error('boom'); return i; }))).rejects.toThrow('boom');
    expect(closed).toBe(true);
  });

  test('an invalid concurrency fails fast with the value', async () => {
    await expect(collect(parallelMap((async function* () {})(), async (x) => x, { concurrency: 0 }))).rejects.toThrow('got `0` (number)');
  });
});

test('a consumer that stops while the source is stalled is not held up by it', async () => {
  async function* source() {
    yield 1;
    await new Promise(() => undefined); // never produces again
  }
  for await (const x of parallelMap(source(), async (v) => v, { concurrency: 2 })) {
    expect(x).toBe(1);
    break;
  }
});
