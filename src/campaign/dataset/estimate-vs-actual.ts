/**
 * The estimate made of a campaign's spec before it started beside what the campaign spent: manifest.json's
 * `estimate`, and its table in the dataset card and the report. Pure.
 */
import type { CampaignManifest, ManifestItem, PlanMeta } from '../../contracts/campaign';
import type { EstimateComparison, Interval } from '../../contracts/campaign-estimate';

const ratio = (actual: number, expected: number | undefined) =>
  expected === undefined || expected <= 0 ? null : Math.round((actual / expected) * 1000) / 1000;

/** The comparison for the manifest: the actual figures are the whole spec's, items taken over included. */
export function estimateComparison(
  estimate: NonNullable<PlanMeta['estimate']>,
  items: readonly ManifestItem[],
  times: { startedAt: string; endedAt?: string },
): EstimateComparison {
  const tokens = { cloud: { input: 0, output: 0 }, local: { input: 0, output: 0 } };
  let turns = 0;
  let costUsd = 0;
  for (const { outcome } of items) {
    if (!outcome) continue;
    turns += outcome.turns;
    costUsd += outcome.costUsd;
    for (const side of ['cloud', 'local'] as const) {
      tokens[side].input += outcome.usage[side].inputTokens;
      tokens[side].output += outcome.usage[side].outputTokens;
    }
  }
  const wallTimeSeconds =
    times.endedAt === undefined ? null : (Date.parse(times.endedAt) - Date.parse(times.startedAt)) / 1000;
  const { expected } = estimate;
  const actualSide = (side: 'cloud' | 'local') => tokens[side].input + tokens[side].output;
  const expectedSide = (side: 'cloud' | 'local') =>
    expected.tokens[side].input.expected + expected.tokens[side].output.expected;
  return {
    basis: estimate.basis,
    from: estimate.from,
    estimatedAt: estimate.estimatedAt,
    ...(estimate.pilot && { pilot: { ...estimate.pilot, reusedItems: estimate.pilotReusedItems ?? 0 } }),
    expected,
    actual: { turns, tokens, costUsd: Math.round(costUsd * 1e6) / 1e6, wallTimeSeconds },
    ratio: {
      turns: ratio(turns, expected.turns.expected),
      tokens: ratio(actualSide('cloud') + actualSide('local'), expectedSide('cloud') + expectedSide('local')),
      cloudTokens: ratio(actualSide('cloud'), expectedSide('cloud')),
      localTokens: ratio(actualSide('local'), expectedSide('local')),
      costUsd: ratio(costUsd, expected.costUsd.expected),
      wallTime: wallTimeSeconds === null ? null : ratio(wallTimeSeconds, expected.wallTimeSeconds?.expected),
    },
  };
}

interface Row {
  name: string;
  expected: Interval | null;
  actual: number | null;
  ratio: number | null;
  format: (n: number) => string;
}

function rowsOf(e: EstimateComparison): Row[] {
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  const sideSum = (side: 'cloud' | 'local'): Interval => {
    const { input, output } = e.expected.tokens[side];
    return {
      expected: input.expected + output.expected,
      low: input.low + output.low,
      high: input.high + output.high,
    };
  };
  const actualSide = (side: 'cloud' | 'local') => e.actual.tokens[side].input + e.actual.tokens[side].output;
  return [
    { name: 'turns', expected: e.expected.turns, actual: e.actual.turns, ratio: e.ratio.turns, format: int },
    {
      name: 'cloud tokens',
      expected: sideSum('cloud'),
      actual: actualSide('cloud'),
      ratio: e.ratio.cloudTokens,
      format: int,
    },
    {
      name: 'local tokens',
      expected: sideSum('local'),
      actual: actualSide('local'),
      ratio: e.ratio.localTokens,
      format: int,
    },
    {
      name: 'cost (USD)',
      expected: e.expected.costUsd,
      actual: e.actual.costUsd,
      ratio: e.ratio.costUsd,
      format: (n) => n.toFixed(4),
    },
    {
      name: 'wall time (s)',
      expected: e.expected.wallTimeSeconds,
      actual: e.actual.wallTimeSeconds,
      ratio: e.ratio.wallTime,
      format: (n) => n.toFixed(0),
    },
  ];
}

const cells = (r: Row) => [
  r.name,
  r.expected
    ? `${r.format(r.expected.expected)} (${r.format(r.expected.low)}–${r.format(r.expected.high)})`
    : '–',
  r.actual === null ? '–' : r.format(r.actual),
  r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`,
];

/** Where the estimate's expected figures came from, in a sentence. */
export function estimateBasisText(e: {
  basis: EstimateComparison['basis'];
  from: string[];
  pilot?: { campaignId: string; items: number };
}): string {
  if (e.basis === 'pilot' && e.pilot) {
    return `a pilot of ${e.pilot.items} items (campaign ${e.pilot.campaignId}), whose completed items this campaign took over`;
  }
  if (e.basis === 'past-runs')
    return `the earlier campaigns ${e.from.join(', ')} (same endpoints, models and settings)`;
  return 'fixed assumptions (no pilot, no earlier campaign with the same settings)';
}

/** The card's section: a markdown table; none without an estimate. */
export function estimateCardSection(manifest: CampaignManifest): string[] {
  const e = manifest.estimate;
  if (!e) return [];
  return [
    '## Estimate and actual',
    '',
    `Estimated at ${e.estimatedAt} from ${estimateBasisText(e)}. Expected (interval), actual, and actual over ` +
      "expected; the wall time is this campaign's own (items taken over took none).",
    '',
    '| figure | expected (interval) | actual | ratio |',
    '| --- | --- | --- | --- |',
    ...rowsOf(e).map((r) => `| ${cells(r).join(' | ')} |`),
    '',
  ];
}

/** The report's section: an HTML table, each cell's text escaped by `esc`; empty without an estimate. */
export function estimateReportSection(manifest: CampaignManifest, esc: (text: string) => string): string {
  const e = manifest.estimate;
  if (!e) return '';
  const rows = rowsOf(e)
    .map(
      (r) =>
        `<tr data-figure="${esc(r.name)}">${cells(r)
          .map((c) => `<td>${esc(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return (
    '<h2>Estimate and actual</h2>' +
    `<p class="sub">estimated at ${esc(e.estimatedAt)} from ${esc(estimateBasisText(e))}</p>` +
    `<table id="estimate"><thead><tr><th>figure</th><th>expected (interval)</th><th>actual</th><th>actual / expected</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

/** The CLI's last line: actual over expected for each figure that has both. */
export function estimateRatioLine(e: EstimateComparison): string {
  const parts = rowsOf(e)
    .filter((r) => r.ratio !== null)
    .map((r) => `${r.name.replace(/ \(.*\)$/, '')} ${r.ratio!.toFixed(2)}×`);
  return `actual / estimate (${e.basis}): ${parts.join(' · ')}`;
}
