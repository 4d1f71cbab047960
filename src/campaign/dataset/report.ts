/**
 * report.html: one page about a campaign (inline CSS and SVG; nothing fetched from elsewhere), from the manifest and,
 * with the dataset, the per-turn latencies of the transcripts. Its conversation table and viewer (viewer/) read the
 * script files beside it in the campaign's folder. Pure: the same input gives the same bytes.
 */
import { estimateReportSection } from './estimate-vs-actual';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CampaignManifest } from '../../contracts/campaign';
import { campaignKey } from '../../output/campaign-files';
import type { OutputStore } from '../../output/store';
import { round } from './numbers';
import { curationSection, diversitySection } from './report-metrics';
import { VIEWER_SCRIPT } from './viewer/client';
import { viewerScriptElement, viewerSection, VIEWER_STYLE } from './viewer/page';

export const REPORT_FILE = 'report.html';

export interface ReportInput {
  manifest: CampaignManifest;
  /** Every turn's latency per side, from the transcripts; unset at a checkpoint, which reads no transcripts. */
  latencyMs?: { cloud: number[]; local: number[] };
  /** The page reloads itself this often (the live page of a running campaign); unset: a page that stays. */
  refreshSeconds?: number;
}

/** A transcript's link from the page (relative to the campaign's folder), from its location as recorded. */
export type TranscriptLink = (location: string | undefined) => string | undefined;

/** Links relative to the campaign's folder, for the transcripts in `store`; none for a location elsewhere. */
export function transcriptLinks(store: OutputStore, campaignId: string): TranscriptLink {
  const folder = campaignKey(campaignId);
  return (location) => {
    const key = location === undefined ? undefined : store.keyOf(location);
    return key === undefined
      ? undefined
      : path.posix.relative(folder, key).split('/').map(encodeURIComponent).join('/');
  };
}

const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Digits grouped by commas, whatever the locale of the machine that writes the page. */
export const formatInt = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
export const formatUsd = (n: number) => `$${n.toFixed(4)}`;

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? sorted[0]!;
}

/** A figure the test (and a reader's script) can find by name. */
const figure = (name: string, text: string) => `<span data-figure="${esc(name)}">${esc(text)}</span>`;

const COLORS = ['#3b6ea5', '#d08c2f', '#4f9a61', '#b5474b', '#7b62a3', '#5a8f9c', '#8c6d46', '#999'];

/** Horizontal bars, one per entry, scaled to the largest. */
function bars(entries: readonly [label: string, value: number][], unit = ''): string {
  if (entries.length === 0) return '<p class="none">nothing yet</p>';
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const row = 22;
  const width = 640;
  const labelWidth = 170;
  const body = entries
    .map(([label, value], i) => {
      const w = Math.max(value > 0 ? 2 : 0, Math.round(((width - labelWidth - 90) * value) / max));
      const y = i * row;
      return (
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${esc(label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${COLORS[i % COLORS.length]}"/>` +
        `<text x="${labelWidth + w + 6}" y="${y + 15}">${esc(formatInt(value))}${esc(unit)}</text>`
      );
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${entries.length * row}" width="${width}" height="${entries.length * row}" role="img">${body}</svg>`;
}

/** Vertical columns of a histogram: `bins` as [label, count]. */
function columns(bins: readonly [label: string, count: number][], color: string): string {
  if (bins.every(([, c]) => c === 0)) return '<p class="none">nothing yet</p>';
  const max = Math.max(1, ...bins.map(([, c]) => c));
  const height = 140;
  const col = Math.max(18, Math.floor(600 / bins.length));
  const width = bins.length * col;
  const body = bins
    .map(([label, count], i) => {
      const h = Math.round(((height - 20) * count) / max);
      const x = i * col;
      return (
        `<rect x="${x + 2}" y="${height - h}" width="${col - 4}" height="${h}" fill="${color}"><title>${esc(label)}: ${count}</title></rect>` +
        (count > 0
          ? `<text x="${x + col / 2}" y="${height - h - 4}" text-anchor="middle">${count}</text>`
          : '') +
        `<text x="${x + col / 2}" y="${height + 14}" text-anchor="middle">${esc(label)}</text>`
      );
    })
    .join('');
  return `<svg class="chart" viewBox="0 -4 ${width} ${height + 22}" width="${width}" height="${height + 22}" role="img">${body}</svg>`;
}

/** At most ten equal-width bins (whole numbers) from the smallest value to the largest. */
function histogram(values: readonly number[], format: (n: number) => string): [string, number][] {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const step = Math.max(1, Math.ceil((max - min + 1) / 10));
  const start = Math.floor(min / step) * step;
  const bins = Array.from({ length: Math.floor((max - start) / step) + 1 }, (_, i): [string, number] => [
    format(start + i * step),
    0,
  ]);
  for (const v of values) bins[Math.floor((v - start) / step)]![1]++;
  return bins;
}

function latencySection(name: string, values: readonly number[], color: string): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : 0;
  const stats = [
    ['turns', formatInt(sorted.length)],
    ['mean', `${formatInt(mean)} ms`],
    ['p50', `${formatInt(quantile(sorted, 0.5))} ms`],
    ['p90', `${formatInt(quantile(sorted, 0.9))} ms`],
    ['p99', `${formatInt(quantile(sorted, 0.99))} ms`],
    ['max', `${formatInt(sorted.at(-1) ?? 0)} ms`],
  ];
  return (
    `<div class="side"><h3>${esc(name)}</h3><p class="stats">` +
    stats.map(([k, v]) => `${esc(k!)} ${figure(`latency-${name}-${k}`, v!)}`).join(' · ') +
    `</p>${columns(
      histogram(sorted, (n) => `${formatInt(n)}`),
      color,
    )}</div>`
  );
}

function countBy<T>(values: readonly T[], key: (v: T) => string | undefined): [string, number][] {
  const counts = new Map<string, number>();
  for (const v of values) {
    const k = key(v);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:8px 0}.sub{color:#666;margin:0 0 12px}.none{color:#888;font-style:italic}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:20px}.card small{color:#666}
.progress{display:flex;height:16px;border-radius:4px;overflow:hidden;background:#eee;margin:10px 0}
.progress div{height:100%}.chart text{font-size:11px;fill:#333}.sides{display:flex;flex-wrap:wrap;gap:24px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left}
th{background:#f6f6f6}
.state.completed{color:#2f7a45}.state.failed{color:#b5474b}.state.skipped{color:#8c6d46}.state.running{color:#3b6ea5}
.warn{color:#b5474b}input{margin:6px 0;padding:4px 6px;width:280px}`;

/**
 * What the page may load when it is served over HTTP (the API's default is nothing at all): its own script, by its
 * hash, the viewer's data files from the same origin (GET /campaigns/:id/viewer/…), and inline styles (the progress
 * bars' widths are style attributes).
 */
export function reportContentSecurityPolicy(): string {
  const script = createHash('sha256').update(VIEWER_SCRIPT).digest('base64');
  return `default-src 'none'; script-src 'sha256-${script}' 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'`;
}

export function renderReport({ manifest, latencyMs, refreshSeconds }: ReportInput): string {
  const { counts, totals } = manifest;
  const itemCount = manifest.items.length;
  const done = counts.completed + counts.failed + counts.skipped;
  const stateColors: [keyof typeof counts, string][] = [
    ['completed', '#4f9a61'],
    ['failed', '#b5474b'],
    ['skipped', '#d08c2f'],
    ['running', '#3b6ea5'],
    ['pending', '#ccc'],
  ];
  const progress = stateColors
    .map(([state, color]) =>
      counts[state] > 0
        ? `<div style="width:${round((100 * counts[state]) / Math.max(1, itemCount), 3)}%;background:${color}" title="${state}: ${counts[state]}"></div>`
        : '',
    )
    .join('');
  const finished = manifest.items.filter((i) => i.outcome);
  const quality = finished.flatMap((i) => (i.quality ? [i.quality] : []));
  const judged = finished.flatMap((i) => (i.outcome?.judge ? [i.outcome.judge] : []));
  const scores = judged.flatMap((j) => (j.score === null ? [] : [j.score]));
  const unpriced = Object.entries(manifest.byModel).filter(([, m]) => !m.priced);
  const card = (name: string, label: string, value: string) =>
    `<div class="card"><b>${figure(name, value)}</b><small>${esc(label)}</small></div>`;

  const modelRows = Object.entries(manifest.byModel)
    .map(
      ([key, m]) =>
        `<tr data-model="${esc(key)}"><td>${esc(m.model)}</td><td>${m.side}</td><td>${esc(m.endpoint)}</td>` +
        `<td data-col="input">${formatInt(m.inputTokens)}</td><td data-col="output">${formatInt(m.outputTokens)}</td>` +
        `<td data-col="cost">${m.priced ? formatUsd(m.costUsd) : '<span class="warn">no price</span>'}</td></tr>`,
    )
    .join('');

  const sections = [
    `<h1>${esc(manifest.name ?? `Campaign ${manifest.campaignId}`)}</h1>`,
    `<p class="sub">campaign <code>${esc(manifest.campaignId)}</code> · workflow <code>${esc(manifest.workflowId)}</code> · ` +
      `status ${figure('status', manifest.status)}${manifest.stopReason ? ` (${esc(manifest.stopReason)})` : ''} · ` +
      `${esc(manifest.startedAt)} → ${esc(manifest.endedAt ?? `${manifest.updatedAt} (last checkpoint)`)}</p>`,
    ...(manifest.status === 'writing_dataset'
      ? ['<p class="sub" data-step="dataset">every item has ended; the dataset is being written</p>']
      : []),
    ...(manifest.failure
      ? [`<p class="warn" data-failure="${esc(manifest.failure.type)}">${esc(manifest.failure.message)}</p>`]
      : []),
    '<h2>Progress</h2>',
    `<div class="progress">${progress}</div>`,
    '<div class="cards">',
    card('items', 'items', formatInt(itemCount)),
    card('done', 'done', formatInt(done)),
    ...stateColors.map(([state]) => card(`count-${state}`, state, formatInt(counts[state]))),
    card('turns', 'turns', formatInt(totals.turns)),
    card('input-tokens', 'input tokens', formatInt(totals.inputTokens)),
    card('output-tokens', 'output tokens', formatInt(totals.outputTokens)),
    card('cost', 'cost (USD)', formatUsd(totals.costUsd)),
    ...(totals.onDemandCostUsd === undefined
      ? []
      : [
          card('on-demand-cost', 'on demand it would cost (USD)', formatUsd(totals.onDemandCostUsd)),
          card('batch-turns', 'turns answered in a batch', formatInt(totals.batchTurns ?? 0)),
        ]),
    '</div>',
    estimateReportSection(manifest, esc),
    '<h2>End reasons</h2>',
    bars(
      countBy(
        finished,
        (i) => i.outcome?.endReason ?? (i.outcome?.state === 'completed' ? undefined : i.outcome?.state),
      ),
    ),
    '<h2>Turns per conversation</h2>',
    columns(
      histogram(
        finished.map((i) => i.outcome!.turns),
        String,
      ),
      '#3b6ea5',
    ),
    '<h2>Latency per turn</h2>',
    latencyMs
      ? `<div class="sides">${latencySection('cloud', latencyMs.cloud, '#3b6ea5')}${latencySection('local', latencyMs.local, '#4f9a61')}</div>`
      : '<p class="none">shown once the dataset is written, at the end of the campaign</p>',
    '<h2>Tokens and cost per model</h2>',
    `<table id="models"><thead><tr><th>model</th><th>side</th><th>endpoint</th><th>input tokens</th><th>output tokens</th><th>cost</th></tr></thead><tbody>${modelRows}</tbody></table>`,
    unpriced.length
      ? `<p class="warn">No price for ${unpriced.map(([m]) => `<code>${esc(m)}</code>`).join(', ')}: counted as $0 (set MODEL_PRICES_FILE).</p>`
      : '',
    '<h2>Quality</h2>',
    '<div class="cards">',
    card('quality-checked', 'conversations checked', formatInt(quality.length)),
    card('quality-empty', 'with empty replies', formatInt(quality.filter((q) => q.emptyReplies > 0).length)),
    card(
      'quality-truncated',
      'with truncated replies',
      formatInt(quality.filter((q) => q.truncatedReplies > 0).length),
    ),
    card(
      'quality-mean-chars',
      'mean reply length (chars)',
      formatInt(quality.length ? quality.reduce((s, q) => s + q.meanReplyChars, 0) / quality.length : 0),
    ),
    '</div>',
    '<h3>Highest repetition per conversation</h3>',
    columns(
      Array.from({ length: 10 }, (_, i): [string, number] => [
        `${(i / 10).toFixed(1)}`,
        quality.filter((q) => Math.min(9, Math.floor(q.maxRepetition * 10)) === i).length,
      ]),
      '#d08c2f',
    ),
    diversitySection(manifest),
    curationSection(manifest),
    '<h2>Judge scores</h2>',
    judged.length === 0
      ? '<p class="none">no judge, or no conversation judged yet</p>'
      : `<div class="cards">${card('judge-count', 'judged', formatInt(judged.length))}${card('judge-mean', 'mean score', scores.length ? (scores.reduce((s, v) => s + v, 0) / scores.length).toFixed(2) : '–')}${card('judge-unscored', 'no score', formatInt(judged.length - scores.length))}</div>` +
        columns(
          Array.from({ length: 10 }, (_, i): [string, number] => [
            String(i + 1),
            scores.filter((s) => s === i + 1).length,
          ]),
          '#7b62a3',
        ),
    viewerSection(),
  ];
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    (refreshSeconds ? `<noscript><meta http-equiv="refresh" content="${refreshSeconds}"></noscript>` : '') +
    `<title>${esc(manifest.name ?? manifest.campaignId)} · campaign report</title><style>${STYLE}${VIEWER_STYLE}</style></head>\n` +
    (refreshSeconds ? `<body data-refresh="${refreshSeconds}">\n` : '<body>\n') +
    sections.filter(Boolean).join('\n') +
    `\n${viewerScriptElement()}\n</body></html>\n`
  );
}
