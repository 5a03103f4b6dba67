/**
 * Website Q&A in a page: crawl a site (or read a folder) into a collection, then answer a question
 * with citations, streaming. Everything comes from `ragline`'s public API, as in your own project.
 *
 *   node dist/pipelines/website-qa.js <https://docs.example.com | ./folder> "<question>"
 *
 * Models: OpenAI's when OPENAI_API_KEY or OPENAI_BASE_URL is set, else the offline local ones.
 * Store: DATABASE_URL's Postgres, else the embedded one in ./.ragline.
 */
import { pathToFileURL } from 'node:url';
import { askStream, defaultProvider, ingest, openDatabase, resolveChatModel, resolveEmbeddingModel, type AnswerSource, type Database, type IngestSummary } from '../src/index.js';

/** Options of {@link websiteQa}. */
export interface WebsiteQaOptions {
  db: Database;
  source: string;
  question: string;
  /** @default 'docs' */
  collection?: string;
  /** Allow loopback and private addresses (a site served on this machine). @default false */
  allowPrivateNetwork?: boolean;
  /** Receives the answer's text as it streams. */
  onText?: (text: string) => void;
}

/** Ingest `source`, then answer `question` from it. */
export async function websiteQa(options: WebsiteQaOptions): Promise<{ ingest: IngestSummary; answer: string; sources: AnswerSource[] }> {
  const { db, source, question, collection = 'docs' } = options;
  const { provider } = defaultProvider();
  const summary = await ingest({ db, source, collection, embedding: resolveEmbeddingModel(provider), crawl: { allowPrivateNetwork: options.allowPrivateNetwork === true } });
  let answer = '';
  let sources: AnswerSource[] = [];
  for await (const event of askStream({ db, collection, question, chat: resolveChatModel(provider) })) {
    if (event.type === 'text') options.onText?.(event.text);
    if (event.type === 'done') ({ answer, sources } = event);
  }
  return { ingest: summary, answer, sources };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [source, question] = process.argv.slice(2);
  if (!source || !question) {
    console.error('usage: node dist/pipelines/website-qa.js <url-or-folder> "<question>"');
    process.exit(2);
  }
  const db = await openDatabase();
  try {
    const { sources } = await websiteQa({ db, source, question, onText: (t) => process.stdout.write(t) });
    for (const s of sources.filter((s) => s.cited)) process.stdout.write(`\n[${s.number}] ${s.title} — ${s.url}`);
    process.stdout.write('\n');
  } finally {
    await db.close();
  }
}
