import { Command, Option } from 'commander';
import { search } from '../core/search.js';
import { HNSW_DEFAULTS, requireCollection } from '../store/collections.js';
import { SEARCH_DEFAULTS } from '../options/defaults.js';
import { describeModels, embeddingModelForCollection } from '../models/resolve.js';
import { addCollectionOption, parseInteger, status, withDatabase } from './context.js';
import { parseHnswFlag } from './index-flags.js';
import { displayUrl, snippet } from './format.js';
import { openAIConnection, type CliIo } from './io.js';
import { addRetrievalFlags, collectFilter, filterOptions, FILTER_EXPRESSION_HELP, retrievalOptions, type FilterFlag, type RetrievalFlags } from './retrieval-flags.js';

interface SearchFlags extends RetrievalFlags {
  collection: string;
  k: number;
  mode: 'hybrid' | 'vector' | 'keyword';
  filter?: FilterFlag;
  efSearch?: number;
  json?: boolean;
}

export function searchCommand(io: CliIo): Command {
  const cmd = new Command('search')
    .description('show the chunks of a collection that best match a question')
    .argument('<question...>', 'question or keywords')
    .option('-k, --k <n>', 'number of results', parseInteger('k'), SEARCH_DEFAULTS.k)
    .addOption(new Option('--mode <mode>', 'retrieval: vector + keyword fused, or one of them').choices(['hybrid', 'vector', 'keyword']).default(SEARCH_DEFAULTS.mode))
    .option('--filter <expression>', FILTER_EXPRESSION_HELP, collectFilter)
    .option('--ef-search <n>', `HNSW candidate list size for this search: higher finds more true neighbours, slower (default: the collection's, else ${HNSW_DEFAULTS.efSearch})`, parseHnswFlag('efSearch'))
    .option('--json', 'print a JSON array of results (url, title, headingPath, score, text, metadata, ...)')
    .addHelpText('after', '\nExamples:\n  ragline search "rate limits" --collection docs -k 3\n  ragline search "rate limits" --collection docs --filter product=api --json\n  ragline search "rate limits" --collection docs --rerank cohere/rerank-v3.5');
  addRetrievalFlags(cmd);
  addCollectionOption(cmd);
  return cmd.action(async (words: string[], flags: SearchFlags) => {
    const query = words.join(' ');
    // Built first: a reranker that cannot be built is an error before the store is opened.
    const retrieval = retrievalOptions(io, flags);
    await withDatabase(io, async (db, signal) => {
      const collection = await requireCollection(db.pool, flags.collection);
      const connection = openAIConnection(io);
      status(io, describeModels({ embedding: embeddingModelForCollection(collection, connection) }, `collection "${collection.name}"`));
      const results = await search({
        db,
        collection: flags.collection,
        query,
        connection,
        k: flags.k,
        mode: flags.mode,
        ...filterOptions(flags.filter),
        ...(flags.efSearch !== undefined ? { efSearch: flags.efSearch } : {}),
        ...retrieval,
        signal,
      });
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        return;
      }
      if (results.length === 0) {
        io.stdout.write(flags.filter ? `No matching chunks with metadata ${flags.filter.where.length === 0 ? JSON.stringify(flags.filter.filter) : flags.filter.written.join(' and ')}.\n` : 'No matching chunks.\n');
        return;
      }
      results.forEach((r, i) => {
        const where = [r.title, ...r.headingPath.filter((h) => h !== r.title)].join(' › ');
        io.stdout.write(`${i + 1}. ${where}  (score ${r.score.toFixed(4)}${r.distance !== undefined ? `, distance ${r.distance.toFixed(3)}` : ''})\n`);
        io.stdout.write(`   ${displayUrl(r.url)}\n   ${snippet(r.text)}\n\n`);
      });
    });
  });
}
