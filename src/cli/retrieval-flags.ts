/** The retrieval flags `search`, `ask`, `eval` and `serve` share: rerank, diversity, noise pages. */
import type { Command } from 'commander';
import { SEARCH_DEFAULTS } from '../options/defaults.js';
import type { SearchOptions } from '../retrieval/types.js';
import type { ChatModel } from '../models/spec.js';
import { resolveReranker } from '../models/rerank/resolve-reranker.js';
import { resolveChatModel } from '../models/resolve.js';
import { collectKeyValue, modelSelection, parseInteger, type ModelFlags } from './context.js';
import { parseCondition, type MetadataCondition } from '../retrieval/metadata-conditions.js';
import type { CliIo } from './io.js';

/** The flags {@link addRetrievalFlags} adds. */
export interface RetrievalFlags {
  rerank?: string;
  rerankCandidates?: number;
  maxPerPage?: number;
  keepNoisePages?: boolean;
}

/** Help of `--rerank`. */
export const RERANK_HELP =
  'rerank the best candidates: cohere/<model>, jina/<model>, voyage/<model>, http/<model> (POST $RAGLINE_RERANK_BASE_URL/rerank; key from RAGLINE_RERANK_API_KEY or COHERE_API_KEY, ...), or llm[/<chat-model>] (the chat model ranks them)';

/** Add `--rerank`, `--rerank-candidates`, `--max-per-page` and `--keep-noise-pages`. */
export function addRetrievalFlags(cmd: Command): Command {
  return cmd
    .option('--rerank <provider/model>', `${RERANK_HELP} (default: off)`)
    .option('--rerank-candidates <n>', `fused candidates given to the reranker (default: ${SEARCH_DEFAULTS.rerankCandidates})`, parseInteger('rerankCandidates'))
    .option('--max-per-page <n>', `at most n passages of one page in the results, so they span several pages; 0: no cap (default: ${SEARCH_DEFAULTS.maxPerPage})`, parseInteger('maxPerPage', 0))
    .option('--keep-noise-pages', 'rank generated index, search and 404 pages and link lists like any page (default: they are ranked last)');
}

/** A reranker by name, with the chat model of `llm/<id>` built from the run's provider. */
export function rerankerFromFlag(io: CliIo, name: string, flags: ModelFlags = {}): NonNullable<SearchOptions['reranker']> {
  const chat = (modelId: string | undefined): ChatModel => {
    const { provider, selection } = modelSelection(io, { ...flags, ...(modelId ? { chatModel: modelId } : {}) });
    return resolveChatModel(provider, selection);
  };
  return resolveReranker(name, { env: io.env, chat });
}

/** The search options the flags set (only those given). */
export function retrievalOptions(io: CliIo, flags: RetrievalFlags & ModelFlags, rerank = flags.rerank): Omit<SearchOptions, 'k'> {
  return {
    ...(rerank ? { reranker: rerankerFromFlag(io, rerank, flags) } : {}),
    ...(flags.rerankCandidates !== undefined ? { rerankCandidates: flags.rerankCandidates } : {}),
    ...(flags.maxPerPage !== undefined ? { maxPerPage: flags.maxPerPage } : {}),
    ...(flags.keepNoisePages ? { keepNoisePages: true } : {}),
  };
}

/** What repeated `--filter` flags add up to: containment (`key=value`) and other conditions. */
export interface FilterFlag {
  filter?: Record<string, unknown>;
  where: MetadataCondition[];
  /** The expressions as written, for messages. */
  written: string[];
}

/** Help of `--filter` on `search`, `ask` and `eval`. */
export const FILTER_EXPRESSION_HELP =
  'only chunks whose metadata (from `ragline ingest --metadata`) matches: key=value (JSON when valid, else a string), key!=value, "key in a,b", key>=3, key<2024-01-01 (numbers, ISO dates); repeatable: all must hold';

/**
 * Commander accumulator of `--filter`: `key=value` adds to the containment object as before (JSON
 * values, a key given twice is an error); `!=`, `in` and ranges become conditions. A filter that
 * cannot be read is a `ConfigError` naming it.
 */
export function collectFilter(value: string, previous: FilterFlag | undefined): FilterFlag {
  const acc: FilterFlag = previous ?? { where: [], written: [] };
  // key=value (or a bare `=value`, which collectKeyValue names as a missing key) keeps its old meaning.
  const plainEquals = (/^\s*[^\s=<>!]*\s*=(?!=)/.test(value) || !/[=<>]|\sin\s/i.test(value)) && !/^\s*[^\s=<>!]+\s+in\s/i.test(value);
  if (plainEquals) {
    const filter = collectKeyValue('filter')(value.replace(/^\s+/, ''), acc.filter);
    return { ...acc, filter, written: [...acc.written, value] };
  }
  return { ...acc, where: [...acc.where, parseCondition(value)], written: [...acc.written, value] };
}

/** The search options of a `--filter` flag. */
export function filterOptions(flag: FilterFlag | undefined): { filter?: Record<string, unknown>; where?: MetadataCondition[] } {
  if (!flag) return {};
  return { ...(flag.filter ? { filter: flag.filter } : {}), ...(flag.where.length > 0 ? { where: flag.where } : {}) };
}
