/** `ragline eval <questions.jsonl>`: retrieval (and answer) quality of a collection, optionally against a second setting. */
import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { InputError } from '../errors.js';
import { EVAL_DEFAULTS, SEARCH_DEFAULTS } from '../options/defaults.js';
import { evaluate, type EvalReport } from '../core/evaluate.js';
import { parseEvalQuestions } from '../core/eval-questions.js';
import { renderEvalReport, summaryRows } from '../core/eval-report.js';
import { resolveChatModel } from '../models/resolve.js';
import { addCollectionOption, addModelOptions, modelSelection, parseInteger, status, withDatabase, type ModelFlags } from './context.js';
import { addRetrievalFlags, collectFilter, filterOptions, FILTER_EXPRESSION_HELP, retrievalOptions, type FilterFlag, type RetrievalFlags } from './retrieval-flags.js';
import { openAIConnection, resolvePath, type CliIo } from './io.js';

interface EvalFlags extends ModelFlags, RetrievalFlags {
  collection: string;
  k: number;
  mode: 'hybrid' | 'vector' | 'keyword';
  filter?: FilterFlag;
  answers?: boolean;
  json?: boolean;
  report?: string;
  compareCollection?: string;
  compareRerank?: string;
  compareMaxPerPage?: number;
  compareKeepNoisePages?: boolean;
}

/** Whether any `--compare-*` flag asks for a second run. */
const comparing = (f: EvalFlags) => f.compareCollection !== undefined || f.compareRerank !== undefined || f.compareMaxPerPage !== undefined || f.compareKeepNoisePages !== undefined;

/** The summaries as a text table, one column per report. */
function formatSummary(reports: readonly EvalReport[]): string {
  const columns = reports.map((r) => summaryRows(r.summary));
  const labels = columns[0]!.map(([l]) => l);
  const rows = [['', ...reports.map((r) => `${r.collection}: ${r.settings}`)], ...labels.map((l, i) => [l, ...columns.map((c) => c[i]![1])])];
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) => r.map((cell, j) => cell.padEnd(widths[j]!)).join('  ').trimEnd()).join('\n');
}

function missesOf(report: EvalReport): string {
  const misses = report.results.filter((r) => r.expected.length > 0 && (r.rank === undefined || r.rank > 5));
  if (misses.length === 0) return '';
  return `\nNot in the top 5 pages (${report.collection}: ${report.settings}):\n${misses.map((m) => `  line ${m.line}: ${m.question}`).join('\n')}\n`;
}

export function evalCommand(io: CliIo): Command {
  const cmd = new Command('eval')
    .description('measure how well a collection answers known questions: hit@1, hit@5, MRR, nDCG@10 over pages; with --answers, citations and "I don\'t know"')
    .argument('<questions>', 'JSON Lines file: {"question": "...", "urls": ["https://site/page/"], "answer"?: "..."} per line; urls empty when no page answers it')
    .option('-k, --k <n>', `passages retrieved per question; metrics rank the distinct pages among them (default: ${EVAL_DEFAULTS.k})`, parseInteger('k'))
    .addOption(new Option('--mode <mode>', 'retrieval: vector + keyword fused, or one of them').choices(['hybrid', 'vector', 'keyword']).default(SEARCH_DEFAULTS.mode))
    .option('--filter <expression>', FILTER_EXPRESSION_HELP, collectFilter)
    .option('--answers', 'also answer each question (ask) and score citations and "I don\'t know"')
    .option('--json', 'print the full report(s) as JSON')
    .option('--report <file.html>', 'write a self-contained HTML report (per-question table, hit@k curve, comparison)')
    .option('--compare-collection <name>', 'run the same questions on this collection too (other chunk sizes or models), side by side')
    .option('--compare-rerank <provider/model>', 'run again with this reranker, side by side')
    .option('--compare-max-per-page <n>', 'run again with this per-page cap, side by side', parseInteger('compareMaxPerPage', 0))
    .option('--compare-keep-noise-pages', 'run again keeping noise pages where they rank, side by side')
    .addHelpText('after', '\nExamples:\n  ragline eval questions.jsonl --collection docs\n  ragline eval questions.jsonl --collection docs --answers --report eval.html\n  ragline eval questions.jsonl --collection docs --compare-collection docs-small-chunks --json');
  addRetrievalFlags(cmd);
  addCollectionOption(cmd);
  addModelOptions(cmd, { chat: true });
  return cmd.action(async (file: string, flags: EvalFlags) => {
    const filePath = resolvePath(io, file);
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (cause) {
      throw new InputError(file, `Cannot read the questions file ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}.`, { cause });
    }
    const questions = parseEvalQuestions(text, file);
    const { provider, selection } = modelSelection(io, flags);
    const chat = flags.answers ? resolveChatModel(provider, selection) : undefined;
    const base = { ...retrievalOptions(io, flags), mode: flags.mode, ...filterOptions(flags.filter) };
    const runs: Array<{ collection: string; search: typeof base }> = [{ collection: flags.collection, search: base }];
    if (comparing(flags)) {
      const other = { ...base };
      if (flags.compareRerank) Object.assign(other, retrievalOptions(io, { ...flags, rerank: flags.compareRerank }));
      if (flags.compareMaxPerPage !== undefined) other.maxPerPage = flags.compareMaxPerPage;
      if (flags.compareKeepNoisePages) other.keepNoisePages = true;
      runs.push({ collection: flags.compareCollection ?? flags.collection, search: other });
    }
    await withDatabase(io, async (db, signal) => {
      const reports: EvalReport[] = [];
      for (const run of runs) {
        status(io, `Evaluating ${questions.length} questions on collection "${run.collection}"...`);
        reports.push(
          await evaluate({
            db,
            collection: run.collection,
            questions,
            search: run.search,
            connection: openAIConnection(io),
            ...(flags.k !== undefined ? { k: flags.k } : {}),
            ...(chat ? { chat } : {}),
            signal,
          }),
        );
      }
      if (flags.report) {
        await writeFile(resolvePath(io, flags.report), renderEvalReport(reports, `ragline eval: ${file}`));
        status(io, `Report written to ${flags.report}`);
      }
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
        return;
      }
      io.stdout.write(`${formatSummary(reports)}\n${reports.map(missesOf).join('')}`);
    });
  });
}
