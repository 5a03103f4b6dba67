/**
 * An evaluation as a self-contained HTML page: the summary (side by side when two settings are
 * compared), the hit@k curve as inline SVG, and a per-question table. No script, no external file.
 */
import type { EvalReport } from './evaluate.js';
import type { EvalSummary } from './eval-metrics.js';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toFixed(3));
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const usd = (x: number | null): string => (x === null ? 'unknown' : x === 0 ? '$0' : `$${x.toPrecision(2)}`);

/** The summary rows shown for each report: label and cell. */
export function summaryRows(s: EvalSummary): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['questions (answerable / unanswerable)', `${s.questions} (${s.answerable} / ${s.unanswerable})`],
    ['hit@1', pct(s.hitAt1)],
    ['hit@5', pct(s.hitAt5)],
    ['MRR', num(s.mrr)],
    ['nDCG@10', num(s.ndcg10)],
    ['search latency p50 / p95', `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p95)}`],
    ['cost', usd(s.costUsd)],
  ];
  if (s.answers) {
    rows.push(
      ['cited sources that are expected pages', pct(s.answers.citedPrecision)],
      ['answers citing an expected page', pct(s.answers.citesExpected)],
      ['"I don\'t know" on unanswerable (higher is better)', pct(s.answers.dontKnowUnanswerable)],
      ['"I don\'t know" on answerable (lower is better)', pct(s.answers.dontKnowAnswerable)],
      ['answer latency p50 / p95', `${ms(s.answers.latencyMs.p50)} / ${ms(s.answers.latencyMs.p95)}`],
    );
  }
  return rows;
}

const COLORS = ['#2563eb', '#dc2626'];

/** The hit@k curves (k = 1..10) of the reports as an inline SVG line chart. */
function hitCurveSvg(reports: readonly EvalReport[]): string {
  const w = 420;
  const h = 240;
  const left = 40;
  const bottom = 30;
  const x = (k: number) => left + ((k - 1) / 9) * (w - left - 15);
  const y = (v: number) => 10 + (1 - v) * (h - bottom - 10);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => `<line x1="${left}" x2="${w - 15}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v * 100}%</text>`).join('');
  const ticks = Array.from({ length: 10 }, (_, i) => `<text x="${x(i + 1)}" y="${h - bottom + 16}" text-anchor="middle" font-size="11">${i + 1}</text>`).join('');
  const lines = reports
    .map((r, i) => {
      const pts = r.summary.hitCurve.map((v, j) => (v === null ? '' : `${x(j + 1).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean).join(' ');
      return `<polyline fill="none" stroke="${COLORS[i % 2]}" stroke-width="2" points="${pts}"><title>${escapeHtml(r.settings)}</title></polyline>`;
    })
    .join('');
  return `<svg role="img" aria-label="hit at k, k from 1 to 10" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">${grid}${ticks}<text x="${(w + left) / 2}" y="${h - 2}" text-anchor="middle" font-size="11">k (pages)</text>${lines}</svg>`;
}

function questionTable(report: EvalReport): string {
  const rows = report.results
    .map((r) => {
      const found = r.expected.length === 0 ? 'unanswerable' : r.rank === undefined ? 'miss' : `rank ${r.rank}`;
      const cls = r.expected.length === 0 ? '' : r.rank === undefined ? 'miss' : r.rank <= 5 ? 'hit' : '';
      const answer = r.answer === undefined ? '' : `<td>${escapeHtml(r.answer.slice(0, 300))}${r.answer.length > 300 ? '…' : ''}</td>`;
      return `<tr class="${cls}"><td>${r.line}</td><td>${escapeHtml(r.question)}</td><td>${r.expected.map(escapeHtml).join('<br>')}</td><td>${found}</td><td>${r.pages.slice(0, 5).map(escapeHtml).join('<br>')}</td><td>${r.ndcg10 === undefined ? '–' : r.ndcg10.toFixed(2)}</td><td>${ms(r.latencyMs)}</td>${answer}</tr>`;
    })
    .join('\n');
  const answerHead = report.results.some((r) => r.answer !== undefined) ? '<th>answer</th>' : '';
  return `<table><thead><tr><th>line</th><th>question</th><th>expected</th><th>found</th><th>top pages</th><th>nDCG@10</th><th>latency</th>${answerHead}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** The report page for one evaluation, or two side by side (`reports[1]` the comparison). */
export function renderEvalReport(reports: readonly EvalReport[], title = 'ragline eval'): string {
  const heads = reports.map((r, i) => `<th><span class="swatch" style="background:${COLORS[i % 2]}"></span>${escapeHtml(r.settings)}<br><small>collection ${escapeHtml(r.collection)}</small></th>`).join('');
  const labels = summaryRows(reports[0]!.summary).map(([label]) => label);
  const cells = reports.map((r) => summaryRows(r.summary));
  const summary = labels.map((label, i) => `<tr><th scope="row">${escapeHtml(label)}</th>${cells.map((c) => `<td>${escapeHtml(c[i]?.[1] ?? '–')}</td>`).join('')}</tr>`).join('\n');
  const tables = reports.map((r) => `<h2>Questions: ${escapeHtml(r.settings)}</h2>\n${questionTable(r)}`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#111}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
tr.miss td{background:#fde8e8}tr.hit td:nth-child(4){color:#166534}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px}
@media (prefers-color-scheme: dark){body{background:#111;color:#eee}td,th{border-color:#444}tr.miss td{background:#4b1d1d}svg text{fill:#eee}}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<table><thead><tr><th></th>${heads}</tr></thead><tbody>
${summary}
</tbody></table>
<h2>hit@k over pages</h2>
${hitCurveSvg(reports)}
${tables}
</body></html>
`;
}
