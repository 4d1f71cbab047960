/**
 * The dataset step (`npm run bench -- dataset`): a campaign folder of 10 000 synthetic conversations of 8 turns
 * (BENCH_DATASET_CONVERSATIONS, BENCH_DATASET_TURNS; plan, transcripts and manifest as a campaign leaves them),
 * then, in a process of its own (so its peak RSS is the step's): the diversity and collapse measures over every
 * transcript (`dataset.metricsSecondsPer10k`, scaled to 10 000 conversations), and the whole writeCampaignDataset
 * activity with `curate` (`dataset.stepSeconds`, `dataset.stepPeakRssMb`).
 *
 * The replies are drawn from a Zipf-distributed vocabulary of 5 000 words by a seeded generator, answers of 60 to
 * 140 words and questions of 10 to 30, so their n-gram statistics and compressibility are those of text rather
 * than of a repeated template.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { makeDatasetActivities } from '../src/campaign/activities/dataset';
import { makePlanActivities } from '../src/campaign/activities/plan';
import type { ItemOutcome } from '../src/contracts/campaign';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import type { Turn } from '../src/contracts/conversation';
import { makeExportTranscript } from '../src/conversation/activities/export-transcript';
import type { ExportTranscriptOutput } from '../src/conversation/activities/types';
import { createOllamaClient } from '../src/models/ollama-client';
import { LocalStore } from '../src/output/local-store';
import { summarize, type Summary } from './stats';

const CONVERSATIONS = Number(process.env.BENCH_DATASET_CONVERSATIONS ?? '10000');
const TURNS = Number(process.env.BENCH_DATASET_TURNS ?? '8');
const PAIRS = 2;
const REPEATS = 5;
const CAMPAIGN_ID = 'bench-dataset';

/** mulberry32: a small seeded generator, so every run writes the same text. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const VOCABULARY = 5000;
/** Word i of the vocabulary: letters from its index, 2 to 9 of them. */
const word = (i: number) => {
  let w = '';
  for (let n = i + 1; n > 0 || w.length < 2; n = Math.floor(n / 23)) w += 'abcdefghiklmnoprstuvwyz'[n % 23];
  return w;
};
const WORDS = Array.from({ length: VOCABULARY }, (_, i) => word(i));
/** Zipf (s = 1): the cumulative weights, for a binary search. */
const CUMULATIVE = (() => {
  const weights = WORDS.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((s, w) => s + w, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();

function sentence(random: () => number, min: number, max: number): string {
  const length = min + Math.floor(random() * (max - min + 1));
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    const r = random();
    let lo = 0;
    let hi = CUMULATIVE.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (CUMULATIVE[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    words.push(WORDS[lo]!);
  }
  return `${words.join(' ')}.`;
}

function syntheticTurns(index: number, seed: string): Turn[] {
  const random = generator(index + 1);
  const turns: Turn[] = [];
  let query = seed;
  for (let n = 1; n <= TURNS; n++) {
    const cloudResponse = sentence(random, 60, 140);
    const localResponse = `${sentence(random, 10, 30).slice(0, -1)}?`;
    turns.push({
      turn: n,
      timestamp: new Date(Date.UTC(2026, 0, 1) + index * 60_000 + n * 1000).toISOString(),
      query,
      cloudResponse,
      localResponse,
      processingTimeMs: 900,
      cloudModel: 'bench-cloud',
      localModel: 'bench-local',
      cloudLatencyMs: 600,
      localLatencyMs: 300,
      cloudUsage: { inputTokens: 200 * n, outputTokens: 120 },
      localUsage: { inputTokens: 150 * n, outputTokens: 25 },
    });
    query = localResponse;
  }
  return turns;
}

/** plan.jsonl, the transcripts and manifest.json of a finished campaign under `outputDir`. */
async function buildCampaign(outputDir: string): Promise<void> {
  const store = new LocalStore(outputDir);
  const seeds = Array.from(
    { length: Math.ceil(CONVERSATIONS / (PAIRS * REPEATS)) },
    (_, i) => `Bench seed ${i}: ${sentence(generator(1e6 + i), 6, 12)}`,
  );
  const spec: CampaignSpec = {
    campaignId: CAMPAIGN_ID,
    seeds,
    pairs: Array.from({ length: PAIRS }, (_, i) => ({ local: { temperature: 0.3 + i / 2 } })),
    repeats: REPEATS,
    maxTurns: TURNS,
    curate: { minTurns: TURNS, maxConsecutiveOverlap: 0.5, dropNearDuplicates: true },
  };
  const planner = makePlanActivities({ store, inputDir: path.join(outputDir, 'input') });
  const { itemCount } = await planner.planCampaign({
    campaignId: CAMPAIGN_ID,
    workflowId: CAMPAIGN_ID,
    spec,
  });
  const plan = await planner.campaignItems({ campaignId: CAMPAIGN_ID, offset: 0, limit: itemCount });
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const exportTranscript = makeExportTranscript({ store });
  const outcomes: ItemOutcome[] = [];
  for (const item of plan.slice(0, CONVERSATIONS)) {
    const turns = syntheticTurns(item.index, item.seed.query);
    const files: ExportTranscriptOutput = await env.run(exportTranscript, {
      conversationId: item.conversation.conversationId!,
      outputFile: item.conversation.outputFile,
      endReason: 'max_turns' as const,
      turns,
    });
    outcomes.push({
      itemHash: item.itemHash,
      conversationId: item.conversation.conversationId!,
      state: 'completed',
      endReason: 'max_turns',
      turns: turns.length,
      usage: {
        cloud: { inputTokens: 0, outputTokens: 0 },
        local: { inputTokens: 0, outputTokens: 0 },
      },
      costUsd: 0,
      startedAt: turns[0]!.timestamp,
      endedAt: turns.at(-1)!.timestamp,
      csvPath: files.csvPath,
      jsonlPath: files.jsonlPath,
    });
  }
  const dataset = makeDatasetActivities({
    store,
    ollama: createOllamaClient('http://127.0.0.1:9'),
    temporalNamespace: 'default',
  });
  const done = outcomes.length;
  await env.run(dataset.checkpointCampaign, {
    campaignId: CAMPAIGN_ID,
    workflowId: CAMPAIGN_ID,
    spec,
    status: 'writing_dataset' as const,
    counts: { pending: itemCount - done, running: 0, completed: done, failed: 0, skipped: 0 },
    totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, turns: done * TURNS },
    startedAt: outcomes[0]!.startedAt!,
    endedAt: outcomes.at(-1)!.endedAt!,
    outcomes,
  });
}

/** Runs bench/dataset-step.ts in a process of its own and returns what it reports. */
function runStep(
  outputDir: string,
): Promise<{ metricsSeconds: number; stepSeconds: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'dataset-step.ts'), outputDir, CAMPAIGN_ID],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as never) : reject(new Error(`dataset step exited ${code}`)),
    );
  });
}

export async function runDatasetBench(): Promise<Record<string, Summary>> {
  const outputDir = await mkdtemp(path.join(tmpdir(), 'bench-dataset-'));
  try {
    console.error(`[bench] dataset: writing ${CONVERSATIONS} conversations of ${TURNS} turns…`);
    await buildCampaign(outputDir);
    console.error('[bench] dataset: the step…');
    const step = await runStep(outputDir);
    const per10k = 10_000 / CONVERSATIONS;
    return {
      'dataset.metricsSecondsPer10k': summarize([step.metricsSeconds * per10k]),
      'dataset.stepSecondsPer10k': summarize([step.stepSeconds * per10k]),
      'dataset.stepPeakRssMb': summarize([step.peakRssMb]),
    };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}
