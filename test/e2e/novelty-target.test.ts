/**
 * The novelty guard on the real model: examples/campaign.yaml (12 conversations of 3 turns, gemma3:270m on both
 * sides) run 3 times against the stack `npm start` brings up. Before the guard, 8 of its 12 conversations looped
 * (the local model asking the seed again every turn). Target: no conversation goes on after asking a question it
 * already asked (equal once normalized); at most 2 of 12 end on one its resamples could not replace (the guard
 * then ends it as `repetition`), and at most 1 of 12 reaches a highest repetition of 0.9. What it cost in model calls is
 * printed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CampaignEstimate } from '../../src/campaign/estimate';
import type { CampaignManifest } from '../../src/contracts/campaign';
import type { Turn } from '../../src/contracts/conversation';
import { normalizeText } from '../../src/conversation/workflows/novelty';
import { startStack, type StackHandle } from '../helpers/stack';
import { repoRoot } from '../helpers/tools';
import { until } from '../helpers/wait';

const RUNS = 3;
let stack: StackHandle;

beforeAll(async () => {
  stack = await startStack();
}, 900_000);

afterAll(async () => {
  await stack?.interrupt();
}, 120_000);

async function api(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.apiUrl}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...stack.apiHeaders },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

interface RunFigures {
  /** The estimate's bounds and expectation for the spec, and what the run used. */
  estimate: { maxTokens: number; expectedTokens: number; maxCalls: number };
  tokens: number;
  calls: number;
  conversations: number;
  reasked: number;
  endedOnRepeat: number;
  highRepetition: number;
  turns: number;
  resamples: number;
  endReasons: Record<string, number>;
}

async function runCampaign(run: number): Promise<RunFigures> {
  const spec = parseYaml(readFileSync(path.join(repoRoot, 'examples', 'campaign.yaml'), 'utf8')) as object;
  const body = { ...spec, campaignId: `novelty-target-${run}` };
  const dryRun = await api('POST', '/campaigns?dryRun=true', body);
  expect(dryRun.status).toBe(200);
  const { estimate } = dryRun.body as { estimate: CampaignEstimate };
  const started = await api('POST', '/campaigns', body);
  expect(started.status).toBe(202);
  const { campaignId } = started.body as { campaignId: string };
  await until(
    () => api('GET', `/campaigns/${campaignId}`),
    ({ body }) => (body as { status: string }).status === 'completed',
    { timeoutMs: 1_800_000, intervalMs: 2000, what: `campaign ${campaignId} completed` },
  );
  const folder = path.join(stack.outputDir, 'campaigns', campaignId);
  const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;
  const figures: RunFigures = {
    estimate: {
      maxTokens: estimate.tokens.max.total,
      expectedTokens: estimate.tokens.expected.total,
      maxCalls: estimate.modelCalls.max,
    },
    tokens: manifest.totals.inputTokens + manifest.totals.outputTokens,
    calls: 0,
    conversations: manifest.items.length,
    reasked: 0,
    endedOnRepeat: 0,
    highRepetition: 0,
    turns: 0,
    resamples: 0,
    endReasons: {},
  };
  for (const item of manifest.items) {
    const transcript = JSON.parse(
      readFileSync(path.join(folder, 'conversations', `${item.itemHash}.jsonl`), 'utf8'),
    ) as { turns: Turn[]; endReason: string };
    // A conversation that failed before its first turn asked nothing.
    const first = transcript.turns[0];
    const questions = first
      ? [first.query, ...transcript.turns.map((t) => t.localResponse)].map(normalizeText)
      : [];
    // The guard keeps a question it could not replace with a new one and ends the conversation there
    // (`repetition`): a re-ask anywhere else is one the guard let through.
    if (new Set(questions).size < questions.length) {
      if (transcript.endReason === 'repetition') figures.endedOnRepeat++;
      else figures.reasked++;
    }
    if ((item.quality?.maxRepetition ?? 0) >= 0.9) figures.highRepetition++;
    figures.turns += transcript.turns.length;
    figures.resamples += item.quality?.resamples ?? 0;
    figures.calls += 2 * transcript.turns.length + (item.quality?.resamples ?? 0);
    figures.endReasons[transcript.endReason] = (figures.endReasons[transcript.endReason] ?? 0) + 1;
  }
  return figures;
}

it(`examples/campaign.yaml, ${RUNS} runs: no question asked twice, at most 1 of 12 conversations at repetition ≥ 0.9`, async () => {
  const runs: RunFigures[] = [];
  for (let run = 1; run <= RUNS; run++) runs.push(await runCampaign(run));
  const calls = runs.map((r) => ({ turnCalls: 2 * r.turns, resamples: r.resamples }));
  console.log(JSON.stringify({ runs, calls }, null, 2));
  for (const r of runs) {
    expect(r.conversations).toBe(12);
    expect(r.reasked).toBe(0);
    expect(r.endedOnRepeat).toBeLessThanOrEqual(2);
    expect(r.highRepetition).toBeLessThanOrEqual(1);
  }
}, 5_400_000);
