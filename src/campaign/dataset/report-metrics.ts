/**
 * report.html's dataset sections: diversity and collapse per group (the whole dataset, each pair, grid cell and
 * seed, side by side so two pairs or two temperatures compare at a glance) and what curation kept. From the
 * manifest the dataset step wrote; pure.
 */
import type { CampaignManifest, GroupDiversity, SideDiversity } from '../../contracts/campaign';
import { COLLAPSE_OVERLAP, COLLAPSE_RUN } from './diversity';

/** Seeds listed in the page at most (the most collapsed first); manifest.json has them all. */
export const REPORT_SEED_ROWS = 50;

const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const fixed = (n: number | null) => (n === null ? '–' : n.toFixed(2));
const percent = (n: number) => `${(100 * n).toFixed(1)}%`;

const sideCells = (s: SideDiversity) =>
  [s.distinct1, s.distinct2, s.distinct3, s.compressionRatio].map((n) => `<td>${fixed(n)}</td>`).join('');

function groupRow(kind: string, key: string, label: string, g: GroupDiversity): string {
  return (
    `<tr data-group="${esc(kind)}" data-key="${esc(key)}"><td>${esc(label)}</td><td>${g.conversations}</td>` +
    sideCells(g.cloud) +
    sideCells(g.local) +
    `<td data-col="near-duplicates">${percent(g.nearDuplicateRate)}</td>` +
    `<td data-col="self-similarity">${fixed(g.selfSimilarity)}</td>` +
    `<td data-col="collapse">${percent(g.collapseRate)}</td></tr>`
  );
}

const HEAD =
  '<thead><tr><th rowspan="2">group</th><th rowspan="2">conversations</th><th colspan="4">cloud replies</th>' +
  '<th colspan="4">local replies</th><th rowspan="2">near-duplicates</th><th rowspan="2">self-similarity</th>' +
  '<th rowspan="2">collapsed</th></tr><tr>' +
  '<th>distinct-1</th><th>distinct-2</th><th>distinct-3</th><th>compression</th>'.repeat(2) +
  '</tr></thead>';

const table = (id: string, rows: string[]) =>
  `<table id="${id}" class="diversity">${HEAD}<tbody>${rows.join('')}</tbody></table>`;

export function diversitySection(manifest: CampaignManifest): string {
  const d = manifest.diversity;
  if (!d) return '';
  const seeds = [...d.seeds]
    .sort((a, b) => b.collapseRate - a.collapseRate || a.seedId.localeCompare(b.seedId))
    .slice(0, REPORT_SEED_ROWS);
  return [
    '<h2>Diversity and collapse</h2>',
    '<p class="sub">Over every conversation generated (before <code>dedup</code> and <code>curate</code>). ' +
      "Distinct-n: distinct word n-grams over all n-grams of a side's replies (higher is more varied); " +
      "compression: the replies' bytes over their gzip size (higher is more repetitive); self-similarity: mean " +
      `word-trigram Jaccard similarity between conversations, over a sample of at most ${d.sampleSize}; ` +
      `collapsed: one side repeating at least ${COLLAPSE_OVERLAP * 100}% of its previous reply's trigrams ` +
      `${COLLAPSE_RUN} times running, or ended as <code>repetition</code>.</p>`,
    '<h3>Dataset and pairs</h3>',
    table('diversity-pairs', [
      groupRow('dataset', 'all', 'all', d.dataset),
      ...d.pairs.map((p) =>
        groupRow('pair', String(p.pairIndex), `pair ${p.pairIndex}: ${p.cloudModel} ↔ ${p.localModel}`, p),
      ),
    ]),
    ...(d.gridCells.length > 1
      ? [
          '<h3>Grid cells</h3>',
          table(
            'diversity-grid',
            d.gridCells.map((c) => groupRow('grid', JSON.stringify(c.grid), JSON.stringify(c.grid), c)),
          ),
        ]
      : []),
    `<h3>Seeds${d.seeds.length > seeds.length ? ` (the ${seeds.length} most collapsed of ${d.seeds.length})` : ''}</h3>`,
    table(
      'diversity-seeds',
      seeds.map((s) => groupRow('seed', s.seedId, s.seedId, s)),
    ),
  ].join('\n');
}

export function curationSection(manifest: CampaignManifest): string {
  const c = manifest.curation;
  if (!c) return '';
  const rules = Object.entries(c.byRule)
    .map(([rule, n]) => `<tr data-rule="${esc(rule)}"><td>${esc(rule)}</td><td>${n}</td></tr>`)
    .join('');
  return [
    '<h2>Curation</h2>',
    `<p>Kept <span data-figure="curation-kept">${c.kept}</span> of ${c.candidates} conversations ` +
      `(<span data-figure="curation-kept-share">${percent(c.candidates === 0 ? 0 : c.kept / c.candidates)}</span>` +
      `): the <code>train</code> split; dropped <span data-figure="curation-dropped">${c.dropped}</span>.</p>`,
    `<table id="curation"><thead><tr><th>rule</th><th>conversations it drops</th></tr></thead><tbody>${rules}</tbody></table>`,
  ].join('\n');
}
