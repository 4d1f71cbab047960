/**
 * The expected figures of a campaign from items that ran (a pilot's stratified sample, or the items of earlier
 * campaigns with the same settings), each with an interval. Pure.
 *
 * Totals (turns, tokens per side, resamples, cost) are stratified: per stratum, the items already done count as they
 * are, the others at the stratum's mean; the interval is the prediction's (each unknown item a new draw, plus the
 * uncertainty of the mean), two standard errors each side. A stratum sampled once borrows the spread (coefficient of
 * variation) the other strata show.
 *
 * Wall time: a conversation's time per turn grows with the number of conversations running beside it (the model
 * servers share their slots). From the observed items it fits seconds per turn = a + b × load (load: the average
 * number of the campaign's conversations running during the item; with loads all alike, a = 0: a busy server),
 * measures each item's work in turns at that rate (an item with long replies weighs more), and plays the campaign's
 * remaining items through `concurrency` slots at the rate their load gives.
 */
import type { TokenUsage } from '../contracts/conversation';
import type { Interval, SideTokens } from '../contracts/campaign-estimate';

export interface ObservedItem {
  /** The campaign it ran in: its load counts that campaign's items. */
  campaignId: string;
  stratum: string;
  turns: number;
  usage: { cloud: TokenUsage; local: TokenUsage };
  resamples: number;
  costUsd: number;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
}

export interface TargetItem {
  stratum: string;
  /** Set when the campaign takes the item over (a pilot's): its figures count as they are, and it takes no time. */
  done?: ObservedItem;
}

export interface MeasuredInput {
  /** Every item of the spec, in plan order. */
  items: readonly TargetItem[];
  /** The items measured; each target stratum needs at least one. */
  observed: readonly ObservedItem[];
  /** Conversations at once in the campaign. */
  concurrency: number;
  /** Time a campaign spends besides its conversations (plan, checkpoints, dataset): added to the wall time. */
  overheadMs: number;
}

export interface MeasuredEstimate {
  sampleItems: number;
  doneItems: number;
  turns: Interval;
  tokens: { cloud: SideTokens<Interval>; local: SideTokens<Interval>; total: Interval };
  resamples: Interval;
  costUsd: Interval;
  /** The items not done yet, through `concurrency` slots; null when no observed item has a duration. */
  wallTimeSeconds: Interval | null;
  /** The fitted time per turn: `a + b × load` seconds, and the highest load observed. */
  secondsPerTurn: { a: number; b: number; maxObservedLoad: number } | null;
}

/** The wall time's interval is at least this much either side. */
export const MIN_WALL_TIME_SPREAD = 0.15;
/** The spread a stratum sampled once is given when no stratum was sampled twice. */
export const DEFAULT_CV = 0.5;
const Z = 2;

type Metric = (o: ObservedItem) => number;
const METRICS = {
  turns: (o) => o.turns,
  cloudInput: (o) => o.usage.cloud.inputTokens,
  cloudOutput: (o) => o.usage.cloud.outputTokens,
  localInput: (o) => o.usage.local.inputTokens,
  localOutput: (o) => o.usage.local.outputTokens,
  tokens: (o) =>
    o.usage.cloud.inputTokens +
    o.usage.cloud.outputTokens +
    o.usage.local.inputTokens +
    o.usage.local.outputTokens,
  resamples: (o) => o.resamples,
  costUsd: (o) => o.costUsd,
} satisfies Record<string, Metric>;

interface Stratum {
  /** Items of the spec in it, and those already done. */
  items: number;
  done: ObservedItem[];
  samples: ObservedItem[];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function variance(values: readonly number[]): number {
  const m = mean(values);
  return values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1);
}

/** The pooled coefficient of variation of a metric over the strata sampled at least twice. */
function pooledCv(groups: readonly Stratum[], metric: Metric): number {
  let weighted = 0;
  let weights = 0;
  for (const g of groups) {
    if (g.samples.length < 2) continue;
    const values = g.samples.map(metric);
    const m = mean(values);
    if (m <= 0) continue;
    weighted += (variance(values) / m ** 2) * (g.samples.length - 1);
    weights += g.samples.length - 1;
  }
  return weights > 0 ? Math.sqrt(weighted / weights) : DEFAULT_CV;
}

/** The stratified total of one metric with its interval. */
export function stratifiedTotal(groups: readonly Stratum[], metric: Metric): Interval {
  const cv = pooledCv(groups, metric);
  let expected = 0;
  let known = 0;
  let spread = 0;
  for (const g of groups) {
    const doneSum = g.done.reduce((a, o) => a + metric(o), 0);
    const unknown = g.items - g.done.length;
    const values = g.samples.map(metric);
    const m = mean(values);
    const s2 = values.length >= 2 ? variance(values) : (cv * m) ** 2;
    known += doneSum;
    expected += doneSum + unknown * m;
    spread += unknown * s2 + (unknown ** 2 * s2) / values.length;
  }
  const half = Z * Math.sqrt(spread);
  return { expected, low: Math.max(known, expected - half), high: expected + half };
}

function groupsOf(input: MeasuredInput): Map<string, Stratum> {
  const groups = new Map<string, Stratum>();
  for (const item of input.items) {
    const g = groups.get(item.stratum) ?? { items: 0, done: [], samples: [] };
    g.items++;
    if (item.done) g.done.push(item.done);
    groups.set(item.stratum, g);
  }
  for (const o of input.observed) groups.get(o.stratum)?.samples.push(o);
  const missing = [...groups].filter(([, g]) => g.samples.length === 0).map(([k]) => k);
  if (missing.length > 0) throw new Error(`no observed item for ${missing.join(', ')}`);
  return groups;
}

/**
 * Each item's load: the average number of its campaign's observed conversations running while it ran (itself
 * included).
 */
export function loadsOf(observed: readonly ObservedItem[]): number[] {
  return observed.map((item) => {
    const span = item.endedAt - item.startedAt;
    if (span <= 0) return 1;
    let overlap = 0;
    for (const other of observed) {
      if (other.campaignId !== item.campaignId) continue;
      overlap += Math.max(
        0,
        Math.min(item.endedAt, other.endedAt) - Math.max(item.startedAt, other.startedAt),
      );
    }
    return overlap / span;
  });
}

/** Least squares of seconds per turn against load, weighted by turns: a + b × load, with a, b ≥ 0. */
export function fitSecondsPerTurn(
  points: readonly { load: number; secondsPerTurn: number; turns: number }[],
): {
  a: number;
  b: number;
  /** Relative standard error of the fitted rate at the points' mean load. */
  relativeError: number;
} {
  const w = points.reduce((n, p) => n + p.turns, 0);
  const mx = points.reduce((n, p) => n + p.turns * p.load, 0) / w;
  const my = points.reduce((n, p) => n + p.turns * p.secondsPerTurn, 0) / w;
  const sxx = points.reduce((n, p) => n + p.turns * (p.load - mx) ** 2, 0);
  const sxy = points.reduce((n, p) => n + p.turns * (p.load - mx) * (p.secondsPerTurn - my), 0);
  // Loads too alike to tell a from b (a pilot that ran all its items at once): a server that is busy, each turn
  // taking as much longer as more conversations share it.
  const alike = points.every((p) => p.load <= mx * 1.25 && p.load >= mx / 1.25);
  let b = alike ? my / mx : sxx > 1e-9 * w ? sxy / sxx : 0;
  let a = alike ? 0 : my - b * mx;
  if (b < 0) [a, b] = [my, 0];
  else if (a < 0) {
    a = 0;
    b =
      points.reduce((n, p) => n + p.turns * p.load * p.secondsPerTurn, 0) /
      points.reduce((n, p) => n + p.turns * p.load ** 2, 0);
  }
  const residual = points.reduce((n, p) => n + p.turns * (p.secondsPerTurn - (a + b * p.load)) ** 2, 0);
  const dof = Math.max(1, points.length - 2);
  const se = Math.sqrt(residual / w / dof);
  const atMean = a + b * mx;
  return { a, b, relativeError: atMean > 0 ? se / atMean : 0 };
}

/**
 * The time `works` (in turns at the fitted rate, in plan order) take through `slots` conversations at once, each
 * running conversation at 1 / (a + b × running) turns per second: a processor-sharing play of the campaign.
 */
export function playCampaign(works: readonly number[], slots: number, a: number, b: number): number {
  const running: number[] = [];
  let next = 0;
  let time = 0;
  while (next < works.length || running.length > 0) {
    while (running.length < slots && next < works.length) running.push(works[next++]!);
    const secondsPerTurn = a + b * running.length;
    const least = Math.min(...running);
    time += least * secondsPerTurn;
    for (let i = running.length - 1; i >= 0; i--) {
      running[i]! -= least;
      if (running[i]! <= 1e-12) running.splice(i, 1);
    }
  }
  return time;
}

function wallTime(
  input: MeasuredInput,
  groups: Map<string, Stratum>,
): Pick<MeasuredEstimate, 'wallTimeSeconds' | 'secondsPerTurn'> {
  const loads = loadsOf(input.observed);
  const points = input.observed
    .map((o, i) => ({ o, load: loads[i]! }))
    .filter(({ o }) => o.endedAt > o.startedAt && o.turns > 0)
    .map(({ o, load }) => ({
      o,
      load,
      turns: o.turns,
      secondsPerTurn: (o.endedAt - o.startedAt) / 1000 / o.turns,
    }));
  if (points.length === 0) return { wallTimeSeconds: null, secondsPerTurn: null };
  // Long-reply strata run longer, so more of their time falls in the campaign's tail, at a low load: fitted
  // against the load alone, they would make the load look cheaper than it is. So each stratum gets a weight of its
  // own, fitted in turn with the rate.
  const weights = new Map<string, number>();
  let fit = fitSecondsPerTurn(points);
  for (let round = 0; round < 10; round++) {
    const perStratum = new Map<string, { sum: number; turns: number }>();
    for (const p of points) {
      const s = perStratum.get(p.o.stratum) ?? { sum: 0, turns: 0 };
      s.sum += (p.turns * p.secondsPerTurn) / Math.max(1e-9, fit.a + fit.b * p.load);
      s.turns += p.turns;
      perStratum.set(p.o.stratum, s);
    }
    const all = [...perStratum.values()];
    const norm = all.reduce((n, s) => n + s.sum, 0) / all.reduce((n, s) => n + s.turns, 0);
    for (const [k, s] of perStratum) weights.set(k, s.sum / s.turns / norm);
    fit = fitSecondsPerTurn(
      points.map((p) => ({ ...p, secondsPerTurn: p.secondsPerTurn / weights.get(p.o.stratum)! })),
    );
  }
  // An item's work: its turns, weighted by how much slower than the fitted rate it ran (longer replies).
  const work = new Map<ObservedItem, number>(
    points.map((p) => [p.o, (p.turns * p.secondsPerTurn) / Math.max(1e-9, fit.a + fit.b * p.load)]),
  );
  const worksOf = (g: Stratum) => g.samples.filter((o) => work.has(o)).map((o) => work.get(o)!);
  const seen = new Map<string, number>();
  const remaining: number[] = [];
  for (const item of input.items) {
    if (item.done) continue;
    const samples = worksOf(groups.get(item.stratum)!);
    const fallback = mean([...work.values()]);
    const k = seen.get(item.stratum) ?? 0;
    seen.set(item.stratum, k + 1);
    remaining.push(samples.length > 0 ? samples[k % samples.length]! : fallback);
  }
  const seconds = playCampaign(remaining, input.concurrency, fit.a, fit.b) + input.overheadMs / 1000;
  // The interval: the total work's (stratified, like the totals) and the fit's, relative, combined.
  const workTotal = stratifiedTotal(
    [...groups.values()].map((g) => ({ ...g, done: [], items: g.items - g.done.length })),
    (o) => work.get(o) ?? mean([...work.values()]),
  );
  const workRel = workTotal.expected > 0 ? (workTotal.high - workTotal.expected) / workTotal.expected : 0;
  // At least MIN_WALL_TIME_SPREAD: how the servers slow down with load is a model, not a measurement.
  const rel = Math.max(MIN_WALL_TIME_SPREAD, Math.sqrt(workRel ** 2 + (Z * fit.relativeError) ** 2));
  return {
    wallTimeSeconds: { expected: seconds, low: Math.max(0, seconds * (1 - rel)), high: seconds * (1 + rel) },
    secondsPerTurn: { a: fit.a, b: fit.b, maxObservedLoad: Math.max(...points.map((p) => p.load)) },
  };
}

export function estimateFromMeasured(input: MeasuredInput): MeasuredEstimate {
  const groups = groupsOf(input);
  const list = [...groups.values()];
  const total = (metric: Metric) => stratifiedTotal(list, metric);
  return {
    sampleItems: input.observed.length,
    doneItems: input.items.filter((i) => i.done).length,
    turns: total(METRICS.turns),
    tokens: {
      cloud: { input: total(METRICS.cloudInput), output: total(METRICS.cloudOutput) },
      local: { input: total(METRICS.localInput), output: total(METRICS.localOutput) },
      total: total(METRICS.tokens),
    },
    resamples: total(METRICS.resamples),
    costUsd: total(METRICS.costUsd),
    ...wallTime(input, groups),
  };
}
