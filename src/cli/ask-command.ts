import { Command } from 'commander';
import { askStream, type AskEvent } from '../core/ask.js';
import { HNSW_DEFAULTS, requireCollection } from '../store/collections.js';
import { ASK_DEFAULTS } from '../options/defaults.js';
import { describeModels, embeddingModelForCollection, resolveChatModel } from '../models/resolve.js';
import type { AnswerSource } from '../core/pack-context.js';
import { addCollectionOption, addModelOptions, modelSelection, parseInteger, status, withDatabase, type ModelFlags } from './context.js';
import { parseHnswFlag } from './index-flags.js';
import { openAIConnection, type CliIo } from './io.js';
import { displayUrl } from './format.js';
import { addRetrievalFlags, collectFilter, filterOptions, FILTER_EXPRESSION_HELP, retrievalOptions, type FilterFlag, type RetrievalFlags } from './retrieval-flags.js';

interface AskFlags extends ModelFlags, RetrievalFlags {
  collection: string;
  k: number;
  filter?: FilterFlag;
  efSearch?: number;
  json?: boolean;
}

/** A source's title, with the page of a PDF passage (its URL ends in `#page=N`): "Title, p. 3". */
function citedTitle(source: AnswerSource): string {
  const page = /#page=(\d+)$/.exec(source.url)?.[1];
  return page === undefined ? source.title : `${source.title}, p. ${page}`;
}

/** The cited sources, numbered as in the answer; or, when nothing is cited, the pages searched. */
export function formatSources(sources: readonly AnswerSource[]): string {
  const cited = sources.filter((s) => s.cited);
  if (cited.length > 0) return `Sources:\n${cited.map((s) => `[${s.number}] ${citedTitle(s)} — ${displayUrl(s.url)}`).join('\n')}`;
  if (sources.length === 0) return 'Nothing in the collection matched the question.';
  return `Searched: ${sources.map((s) => displayUrl(s.url)).join(', ')}`;
}

export function askCommand(io: CliIo): Command {
  const cmd = new Command('ask')
    .description('answer a question from a collection, citing its sources')
    .argument('<question...>', 'the question')
    .option('-k, --k <n>', 'chunks to retrieve (as many as fit the window are used)', parseInteger('k'), ASK_DEFAULTS.k)
    .option('--filter <expression>', `answer only from these sources: ${FILTER_EXPRESSION_HELP}`, collectFilter)
    .option('--ef-search <n>', `HNSW candidate list size for the retrieval (default: the collection's, else ${HNSW_DEFAULTS.efSearch})`, parseHnswFlag('efSearch'))
    .option('--json', 'print {answer, sources, usage} as JSON instead of streaming');
  addRetrievalFlags(cmd);
  addCollectionOption(cmd);
  addModelOptions(cmd, { chat: true });
  return cmd.action(async (words: string[], flags: AskFlags) => {
    const question = words.join(' ');
    // Built first: a reranker that cannot be built is an error before the store is opened.
    const retrieval = retrievalOptions(io, flags);
    await withDatabase(io, async (db, signal) => {
      const collection = await requireCollection(db.pool, flags.collection);
      const { provider, reason, selection } = modelSelection(io, flags);
      const chat = resolveChatModel(provider, selection);
      const connection = openAIConnection(io);
      status(io, describeModels({ embedding: embeddingModelForCollection(collection, connection), chat }, reason));
      let done: Extract<AskEvent, { type: 'done' }> | undefined;
      const events = askStream({
        db,
        collection: flags.collection,
        question,
        chat,
        connection,
        k: flags.k,
        ...(flags.filter?.filter ? { filter: flags.filter.filter } : {}),
        ...(flags.efSearch !== undefined ? { efSearch: flags.efSearch } : {}),
        search: { ...retrieval, ...(flags.filter?.where.length ? { where: flags.filter.where } : {}) },
        signal,
      });
      for await (const event of events) {
        if (event.type === 'text' && !flags.json) io.stdout.write(event.text);
        if (event.type === 'done') done = event;
      }
      if (!done) return;
      if (flags.json) {
        const { type: _type, ...result } = done;
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      io.stdout.write('\n');
      io.stdout.write(`\n${formatSources(done.sources)}\n`);
    });
  });
}
