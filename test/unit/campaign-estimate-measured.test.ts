/**
 * The estimate from measured items: a stratified pilot's sample and its extrapolation to the whole spec (totals with
 * intervals, and the wall time from the time per turn under load).
 */
import {
  estimateFromMeasured,
  fitSecondsPerTurn,
  loadsOf,
  playCampaign,
  type ObservedItem,
  type TargetItem,
} from '../../src/campaign/estimate-measured';
import { defaultPilotSize, pilotItems, pilotSizeProblem, stratumOf } from '../../src/campaign/pilot-sample';
import { validateCampaign } from '../../src/campaign/validate';
import type { CampaignItem } from '../../src/contracts/campaign';

async function itemsOf(spec: unknown): Promise<CampaignItem[]> {
  const result = await validateCampaign(spec, { inputDir: '/nonexistent' });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.items;
}

const seeds = (n: number) => Array.from({ length: n }, (_, i) => `Question number ${i}?`);

/** A deterministic spread around 1 (±30 %), so items of a stratum differ as real replies do. */
const jitter = (i: number) => 0.7 + ((0.6 * (((Math.sin(i * 12.9898) * 43758.5453) % 1) + 1)) % 1);

/** What one item "spends", given how long its replies are (tokens a turn per side). */
function observed(
  item: CampaignItem,
  cloudOut: number,
  localOut: number,
  times = { start: 0, end: 1000 },
): ObservedItem {
  const j = jitter(item.index);
  const turns = 3;
  return {
    campaignId: 'pilot',
    stratum: stratumOf(item),
    turns,
    usage: {
      cloud: { inputTokens: Math.round(turns * 200 * j), outputTokens: Math.round(turns * cloudOut * j) },
      local: { inputTokens: Math.round(turns * 150 * j), outputTokens: Math.round(turns * localOut * j) },
    },
    resamples: item.index % 10 === 0 ? 1 : 0,
    costUsd: (turns * cloudOut * j) / 1e5,
    startedAt: times.start,
    endedAt: times.end,
  };
}

const sum = (items: readonly ObservedItem[], f: (o: ObservedItem) => number) =>
  items.reduce((n, o) => n + f(o), 0);

describe('pilot sample', () => {
  test('every pair and grid cell is represented, spread over the seeds, the same items every time', async () => {
    const items = await itemsOf({
      seeds: seeds(10),
      pairs: [{}, { cloud: { temperature: 0.2 } }],
      grid: { local: { temperature: [0.3, 0.9] } },
      repeats: 2,
      maxTurns: 3,
    });
    expect(items).toHaveLength(80);
    const pilot = pilotItems(items, 8);
    expect(pilot).toHaveLength(8);
    expect(new Set(pilot.map(stratumOf)).size).toBe(4);
    // Two of each stratum's 20 items, far apart, each stratum starting elsewhere: 8 different seeds.
    expect(new Set(pilot.map((i) => i.seed.id)).size).toBe(8);
    expect(pilot.map((i) => i.index)).toEqual([...pilot.map((i) => i.index)].sort((a, b) => a - b));
    expect(pilotItems(items, 8).map((i) => i.itemHash)).toEqual(pilot.map((i) => i.itemHash));
    // A size that does not divide: the first strata get one more.
    expect(new Set(pilotItems(items, 5).map(stratumOf)).size).toBe(4);
    expect(pilotSizeProblem(items, 3)).toContain(
      "cannot hold one item of each of the spec's 4 pairs × grid cells",
    );
    expect(pilotSizeProblem(items, 81)).toContain("more than the spec's 80 items");
    // The default: as many as run at once, and every stratum.
    expect(defaultPilotSize(items, 16)).toBe(16);
    expect(defaultPilotSize(items, 2)).toBe(4);
    expect(defaultPilotSize(items.slice(0, 10), 16)).toBe(10);
  });

  test('a pilot spec plans only its sample, with the ids the items have in the whole campaign', async () => {
    const spec = { seeds: seeds(6), pairs: [{}, { cloud: { temperature: 0.2 } }], maxTurns: 2 };
    const all = await itemsOf(spec);
    const pilot = await itemsOf({ ...spec, campaignId: 'pilot-x', pilot: { items: 4, of: 'whole' } });
    expect(pilot.map((i) => i.itemHash)).toEqual(pilotItems(all, 4).map((i) => i.itemHash));
    const refused = await validateCampaign({ ...spec, pilot: { items: 1, of: 'whole' } }, { inputDir: '/x' });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.issues[0]!.path).toBe('pilot.items');
  });
});

describe('extrapolation from a stratified pilot', () => {
  test('a skewed grid: one cell writes ten times longer replies; the estimate weighs each cell by its items', async () => {
    const items = await itemsOf({
      seeds: seeds(30),
      pairs: [{}],
      grid: {
        local: { temperature: [0.1, 0.5, 0.9] },
        cloud: { systemPrompt: ['Be brief.', 'Be thorough.'] },
      },
      maxTurns: 3,
    });
    const truth = (item: CampaignItem) =>
      observed(
        item,
        item.grid['cloud.systemPrompt'] === 'Be thorough.' && item.grid['local.temperature'] === 0.9
          ? 800
          : 80,
        30,
      );
    const actual = items.map(truth);
    const pilot = pilotItems(items, 12);
    const done = new Map(pilot.map((i) => [i.itemHash, truth(i)]));
    const targets: TargetItem[] = items.map((i) => ({
      stratum: stratumOf(i),
      ...(done.has(i.itemHash) && { done: done.get(i.itemHash)! }),
    }));
    const e = estimateFromMeasured({
      items: targets,
      observed: [...done.values()],
      concurrency: 4,
      overheadMs: 0,
    });

    const cloudOut = sum(actual, (o) => o.usage.cloud.outputTokens);
    expect(Math.abs(e.tokens.cloud.output.expected / cloudOut - 1)).toBeLessThan(0.15);
    expect(e.tokens.cloud.output.low).toBeLessThanOrEqual(cloudOut);
    expect(e.tokens.cloud.output.high).toBeGreaterThanOrEqual(cloudOut);
    expect(e.turns).toEqual({ expected: 3 * items.length, low: 3 * items.length, high: 3 * items.length });
    expect(e.doneItems).toBe(12);
    expect(e.sampleItems).toBe(12);
  });

  test('pairs that differ in reply length: tokens per side and cost follow each pair', async () => {
    const items = await itemsOf({
      seeds: seeds(40),
      pairs: [{ cloud: { maxTokens: 400 } }, { cloud: { maxTokens: 40 } }],
      maxTurns: 3,
    });
    const truth = (item: CampaignItem) =>
      observed(item, item.pairIndex === 0 ? 300 : 30, item.pairIndex === 0 ? 20 : 60);
    const actual = items.map(truth);
    const pilot = pilotItems(items, 8);
    const targets: TargetItem[] = items.map((i) => ({ stratum: stratumOf(i) }));
    const e = estimateFromMeasured({
      items: targets,
      observed: pilot.map(truth),
      concurrency: 4,
      overheadMs: 0,
    });
    for (const [figure, real] of [
      [e.tokens.cloud.output, sum(actual, (o) => o.usage.cloud.outputTokens)],
      [e.tokens.local.output, sum(actual, (o) => o.usage.local.outputTokens)],
      [e.costUsd, sum(actual, (o) => o.costUsd)],
    ] as const) {
      expect(Math.abs(figure.expected / real - 1)).toBeLessThan(0.15);
      expect(figure.low).toBeLessThan(figure.expected);
      expect(figure.high).toBeGreaterThan(figure.expected);
    }
    // One item in ten resampled once.
    expect(e.resamples.expected).toBeGreaterThan(0);
  });

  test('a stratum sampled once borrows the spread of the others; all items done: no interval left', async () => {
    const items = await itemsOf({
      seeds: seeds(5),
      pairs: [{}, { cloud: { temperature: 0.4 } }],
      maxTurns: 3,
    });
    const all = items.map((i) => observed(i, 100, 20));
    const e = estimateFromMeasured({
      items: items.map((i, k) => ({ stratum: stratumOf(i), done: all[k]! })),
      observed: all,
      concurrency: 2,
      overheadMs: 0,
    });
    const tokens = sum(all, (o) => o.usage.cloud.outputTokens);
    expect(e.tokens.cloud.output).toEqual({ expected: tokens, low: tokens, high: tokens });
    const one = estimateFromMeasured({
      items: items.map((i) => ({ stratum: stratumOf(i) })),
      observed: [all[0]!, all[5]!, all[6]!, all[7]!],
      concurrency: 2,
      overheadMs: 0,
    });
    expect(one.tokens.cloud.output.high).toBeGreaterThan(one.tokens.cloud.output.expected);
  });
});

/**
 * The truth for the wall-time tests: the campaign played through `slots` conversations at once, each turn taking
 * a + b × (conversations running) seconds times the item's own weight; each item's start and end recorded.
 */
function simulate(works: readonly number[], slots: number, a: number, b: number) {
  const running: { i: number; left: number; start: number }[] = [];
  const times: { start: number; end: number }[] = [];
  let next = 0;
  let now = 0;
  while (next < works.length || running.length > 0) {
    while (running.length < slots && next < works.length) {
      running.push({ i: next, left: works[next]!, start: now });
      next++;
    }
    const perTurn = a + b * running.length;
    const least = Math.min(...running.map((r) => r.left));
    now += least * perTurn;
    for (const r of [...running]) {
      r.left -= least;
      if (r.left <= 1e-12) {
        times[r.i] = { start: r.start * 1000, end: now * 1000 };
        running.splice(running.indexOf(r), 1);
      }
    }
  }
  return { seconds: now, times };
}

describe('wall time from the time per turn under load', () => {
  test('the fit finds a + b × load, and the play of the campaign its wall time', () => {
    const fit = fitSecondsPerTurn(
      [1, 2, 4, 8].map((load) => ({ load, secondsPerTurn: 0.5 + 0.25 * load, turns: 3 })),
    );
    expect(fit.a).toBeCloseTo(0.5);
    expect(fit.b).toBeCloseTo(0.25);
    // Four equal items, two at once: two rounds of 3 turns at 0.5 + 0.25 × 2 s.
    expect(playCampaign([3, 3, 3, 3], 2, 0.5, 0.25)).toBeCloseTo(6);
  });

  test('a pilot at the campaign concurrency predicts the rest within 10 %, long-reply strata weighing more', async () => {
    const items = await itemsOf({
      seeds: seeds(50),
      pairs: [{ cloud: { maxTokens: 400 } }, { cloud: { maxTokens: 40 } }],
      maxTurns: 3,
    });
    // A conversation of the long pair takes twice the time a turn of the short one does.
    const weight = (item: CampaignItem) => 3 * (item.pairIndex === 0 ? 2 : 1) * jitter(item.index);
    const [a, b, slots] = [0.2, 0.3, 8];
    const pilot = pilotItems(items, 16);
    const played = simulate(pilot.map(weight), slots, a, b);
    const pilotObserved = pilot.map((item, k) => observed(item, 100, 20, played.times[k]!));
    const done = new Map(pilot.map((item, k) => [item.itemHash, pilotObserved[k]!]));
    const rest = items.filter((i) => !done.has(i.itemHash));
    const truth = simulate(rest.map(weight), slots, a, b).seconds;

    const loads = loadsOf(pilotObserved);
    expect(Math.max(...loads)).toBeGreaterThan(7);
    const e = estimateFromMeasured({
      items: items.map((i) => ({
        stratum: stratumOf(i),
        ...(done.has(i.itemHash) && { done: done.get(i.itemHash)! }),
      })),
      observed: pilotObserved,
      concurrency: slots,
      overheadMs: 500,
    });
    expect(e.wallTimeSeconds).not.toBeNull();
    expect(Math.abs((e.wallTimeSeconds!.expected - 0.5) / truth - 1)).toBeLessThan(0.1);
    expect(e.wallTimeSeconds!.low).toBeLessThan(e.wallTimeSeconds!.expected);
    expect(e.wallTimeSeconds!.high).toBeGreaterThan(e.wallTimeSeconds!.expected);
    expect(e.secondsPerTurn!.b).toBeGreaterThan(0);
  });

  test('a pilot that ran all its items at once (loads alike): a busy server, slower in proportion to the load', async () => {
    const items = await itemsOf({ seeds: seeds(40), pairs: [{}], maxTurns: 3 });
    const pilot = pilotItems(items, 4);
    // Truth: a saturated server, 0.25 s a turn per conversation running; the pilot ran 4 at once, the campaign 8.
    const played = simulate(
      pilot.map(() => 3),
      4,
      0,
      0.25,
    );
    const observedItems = pilot.map((item, k) => observed(item, 100, 20, played.times[k]!));
    const done = new Set(pilot.map((i) => i.itemHash));
    const truth = simulate(
      items.filter((i) => !done.has(i.itemHash)).map(() => 3),
      8,
      0,
      0.25,
    ).seconds;
    const e = estimateFromMeasured({
      items: items.map((i, k) => ({
        stratum: stratumOf(i),
        ...(done.has(i.itemHash) && { done: observedItems[pilot.findIndex((p) => p.index === k)]! }),
      })),
      observed: observedItems,
      concurrency: 8,
      overheadMs: 0,
    });
    expect(e.secondsPerTurn).toMatchObject({ a: 0 });
    expect(Math.abs(e.wallTimeSeconds!.expected / truth - 1)).toBeLessThan(0.05);
    // The interval is never narrower than the load model's own uncertainty.
    expect(e.wallTimeSeconds!.high / e.wallTimeSeconds!.expected).toBeGreaterThanOrEqual(1.15);
  });
});
