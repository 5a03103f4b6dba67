/**
 * One flag set and one mapping for an ingest: `ragline ingest` and `ragline jobs add` take the same
 * flags, read them into the same settings, and `toIngestOptions` turns a job's stored settings into
 * the very `ingest` options the command passes. (The CLI run end to end: test/jobs-cli.test.ts.)
 */
import type { Command } from 'commander';
import { ingestCommand } from '../src/cli/ingest-command.js';
import { jobsCommand } from '../src/cli/jobs-command.js';
import { processIo } from '../src/cli/io.js';
import { ingestSettings, type IngestFlags } from '../src/cli/ingest-flags.js';
import { toIngestOptions } from '../src/core/ingest-settings.js';
import { CRAWL_DEFAULTS, CHUNK_DEFAULTS, EMBED_DEFAULTS, HTTP_DEFAULTS } from '../src/options/defaults.js';

/** The real command, its action replaced: parse `args` and return the flags commander read. */
async function flagsOf(cmd: Command, args: string[]): Promise<IngestFlags> {
  cmd.exitOverride().action(() => undefined);
  await cmd.parseAsync(args, { from: 'user' });
  return cmd.opts<IngestFlags>();
}

const ingestCmd = () => ingestCommand(processIo());
const addCmd = () => jobsCommand(processIo()).commands.find((c) => c.name() === 'add')!;
const longFlags = (cmd: Command) => cmd.options.map((o) => o.long!);

const EVERY_FLAG = [
  '--max-pages', '7', '--concurrency', '2', '--chunk-tokens', '120', '--chunk-overlap', '0', '--timeout', '5000',
  '--allow-private-network', '--max-depth', '0', '--scope', 'prefix', '--include', '/docs/*', '--include', 're:/api/',
  '--exclude', '/blog/*', '--user-agent', 'docs-bot/1.0', '--max-requests-per-minute', '30', '--delay', '0',
  '--ignore-robots', '--force', '--embed-batch-size', '16', '--embed-concurrency', '1', '--metadata', 'product=api',
  '--metadata', 'version="3.10"', '--m', '8', '--ef-construction', '32', '--ef-search', '50', '-c', 'docs',
];

describe('ingest and jobs add share one flag set', () => {
  test('jobs add has every flag of ingest but the run-only ones (--json, --dry-run, --batch-api, --verbose)', () => {
    const runOnly = new Set(['--json', '--dry-run', '--batch-api', '--verbose']);
    const jobs = new Set(longFlags(addCmd()));
    expect(longFlags(ingestCmd()).filter((f) => !runOnly.has(f) && !jobs.has(f))).toEqual([]);
  });

  test('a flag given to jobs add reaches the worker\'s ingest as it reaches the ingest command\'s', async () => {
    const direct = toIngestOptions(ingestSettings(await flagsOf(ingestCmd(), ['https://docs.example.com/', ...EVERY_FLAG])));
    // A job stores its settings as JSON; the worker maps what it reads back.
    const stored = JSON.parse(JSON.stringify(ingestSettings(await flagsOf(addCmd(), ['https://docs.example.com/', ...EVERY_FLAG]))));
    expect(toIngestOptions(stored)).toEqual(direct);
    expect(direct).toEqual({
      chunk: { maxTokens: 120, overlapTokens: 0 },
      crawl: {
        maxPages: 7,
        concurrency: 2,
        timeoutMs: 5000,
        allowPrivateNetwork: true,
        maxDepth: 0,
        scope: 'prefix',
        include: ['/docs/*', 're:/api/'],
        exclude: ['/blog/*'],
        userAgent: 'docs-bot/1.0',
        maxRequestsPerMinute: 30,
        delayMs: 0,
        robots: false,
      },
      embed: { batchSize: 16, concurrency: 1 },
      metadata: { product: 'api', version: '3.10' },
      index: { m: 8, efConstruction: 32, efSearch: 50 },
      force: true,
    });
  });

  test('flags not given stay unset: the library applies its defaults, and a job stores nothing for them', async () => {
    for (const cmd of [ingestCmd(), addCmd()]) {
      const settings = ingestSettings(await flagsOf(cmd, ['./docs']));
      expect(JSON.parse(JSON.stringify(settings))).toEqual({});
      expect(toIngestOptions(settings)).toEqual({ chunk: {}, crawl: {}, embed: {} });
    }
  });

  test('the help shows the defaults the library applies', () => {
    const help = ingestCmd().helpInformation().replace(/\s+/g, ' ');
    for (const [flag, value] of [
      ['--max-pages <n>', CRAWL_DEFAULTS.maxPages],
      ['--concurrency <n>', CRAWL_DEFAULTS.concurrency],
      ['--chunk-tokens <n>', CHUNK_DEFAULTS.maxTokens],
      ['--timeout <ms>', HTTP_DEFAULTS.timeoutMs],
      ['--embed-batch-size <n>', EMBED_DEFAULTS.batchSize],
    ] as const) {
      expect(help).toMatch(new RegExp(`${flag} [^-]*\\(default: ${value}\\)`));
    }
  });

  test('a bad value fails the same way on both commands, naming the option as the CLI shows it', async () => {
    for (const cmd of [ingestCmd(), addCmd()]) {
      await expect(flagsOf(cmd, ['./docs', '--chunk-tokens', '10'])).rejects.toMatchObject({
        option: 'chunkTokens',
        message: 'Expected `chunkTokens` to be an integer from 32 and up, got `10` (number).',
      });
    }
  });
});
