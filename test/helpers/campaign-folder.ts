/**
 * A campaign folder as the other campaign parts leave it before the dataset activities run: the plan written by
 * the real planCampaign, and each finished conversation's CSV and JSONL written by the real exportTranscript from
 * fixture turns; with the ItemOutcomes the workflow would record.
 */
import path from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { makeExportTranscript } from '../../src/conversation/activities/export-transcript';
import type { ExportTranscriptOutput } from '../../src/conversation/activities/types';
import type { EndReason, Turn } from '../../src/contracts/conversation';
import { makePlanActivities } from '../../src/campaign/activities/plan';
import { makeDatasetActivities, type CheckpointInput } from '../../src/campaign/activities/dataset';
import type { CampaignManifest } from '../../src/contracts/campaign';
import { createOllamaClient } from '../../src/models/ollama-client';
import { readFile } from 'node:fs/promises';
import type { CampaignItem, ItemOutcome } from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import type { PriceTable } from '../../src/campaign/activities/dataset';
import { LocalStore } from '../../src/output/local-store';

export const PRICES: PriceTable = { 'fake-cloud': { inputPer1k: 0.003, outputPer1k: 0.015 } };
export const CLOUD_MAX_TOKENS = 40;
export const LOCAL_MAX_TOKENS = 24;

export interface FixtureItem {
  turns: number;
  endReason?: EndReason;
  state?: 'completed' | 'failed' | 'skipped';
  /** A cloud answer that used all its tokens, at this turn (1-based). */
  truncatedAt?: number;
  /** Every answer the same text. */
  repeating?: boolean;
  /** Text each cloud answer ends with (e.g. markup a page must show as text). */
  answerSuffix?: string;
}

/** Fewer seeds than items, and more of the spec (pairs, a grid): the plan then has seeds × pairs × cells items. */
export interface FolderOptions {
  seeds?: number;
  spec?: Partial<CampaignSpec>;
}

export interface CampaignFixture {
  campaignId: string;
  spec: CampaignSpec;
  plan: CampaignItem[];
  outcomes: ItemOutcome[];
  startedAt: string;
  endedAt: string;
}

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

export function fixtureTurns(itemIndex: number, seed: string, spec: FixtureItem): Turn[] {
  const turns: Turn[] = [];
  let query = seed;
  for (let n = 1; n <= spec.turns; n++) {
    const cloudResponse = spec.repeating
      ? 'The same answer, given again and again.'
      : `Answer ${itemIndex}.${n}: ${query.length} characters asked, "quoted", with, commas and =formula-like text.${spec.answerSuffix ?? ''}`;
    const localResponse = `Question ${itemIndex}.${n + 1}: what about part ${n}?`;
    const start = T0 + itemIndex * 60_000 + n * 5_000;
    turns.push({
      turn: n,
      timestamp: iso(start),
      query,
      cloudResponse,
      localResponse,
      processingTimeMs: 1000 + n,
      cloudModel: 'fake-cloud',
      localModel: 'gemma3:270m',
      cloudLatencyMs: 300 + 37 * ((itemIndex + n) % 9),
      localLatencyMs: 120 + 11 * ((itemIndex * 3 + n) % 7),
      cloudUsage: {
        inputTokens: 20 + n,
        outputTokens: spec.truncatedAt === n ? CLOUD_MAX_TOKENS : 12 + (itemIndex % 5),
      },
      localUsage: { inputTokens: 30 + n, outputTokens: 8 },
    });
    query = localResponse;
  }
  return turns;
}

export function costOf(turns: readonly Turn[]): number {
  const price = PRICES['fake-cloud']!;
  return turns.reduce(
    (sum, t) =>
      sum +
      (t.cloudUsage.inputTokens / 1000) * price.inputPer1k +
      (t.cloudUsage.outputTokens / 1000) * price.outputPer1k,
    0,
  );
}

/** Writes plan.jsonl and the transcripts under `outputDir/campaigns/<campaignId>/`. */
export async function buildCampaignFolder(
  outputDir: string,
  campaignId: string,
  items: readonly FixtureItem[],
  options: FolderOptions = {},
): Promise<CampaignFixture> {
  const seeds = Array.from({ length: options.seeds ?? items.length }, (_, i) => ({
    id: `seed-${i}`,
    query: `Seed question ${i}: why is the sky blue?`,
  }));
  const spec: CampaignSpec = {
    campaignId,
    name: `Fixture campaign ${campaignId}`,
    seeds,
    pairs: [
      {
        cloud: { model: 'fake-cloud', maxTokens: CLOUD_MAX_TOKENS, systemPrompt: 'Answer briefly.' },
        local: { model: 'gemma3:270m', maxTokens: LOCAL_MAX_TOKENS, temperature: 0.7 },
      },
    ],
    maxTurns: 3,
    ...options.spec,
  };
  // Planned by the plan activity itself: plan.jsonl and plan.json as a campaign has them.
  const planner = makePlanActivities({
    store: new LocalStore(outputDir),
    inputDir: path.join(outputDir, 'input'),
  });
  const { itemCount } = await planner.planCampaign({
    campaignId,
    workflowId: `campaign-${campaignId}`,
    spec,
  });
  if (itemCount !== items.length)
    throw new Error(`the spec plans ${itemCount} items, the fixture has ${items.length}`);
  const plan = await planner.campaignItems({ campaignId, offset: 0, limit: itemCount });

  const exportTranscript = makeExportTranscript({ store: new LocalStore(outputDir) });
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const outcomes: ItemOutcome[] = [];
  for (const [index, fixture] of items.entries()) {
    const item = plan[index]!;
    const conversationId = item.conversation.conversationId!;
    const state = fixture.state ?? 'completed';
    const startedAt = iso(T0 + index * 60_000);
    const endedAt = iso(T0 + index * 60_000 + 30_000);
    if (state !== 'completed') {
      outcomes.push({
        itemHash: item.itemHash,
        conversationId,
        state,
        turns: 0,
        usage: { cloud: { inputTokens: 0, outputTokens: 0 }, local: { inputTokens: 0, outputTokens: 0 } },
        costUsd: 0,
        startedAt,
        endedAt,
        error: { type: 'ChildWorkflowFailure', message: `item ${index} failed` },
      });
      continue;
    }
    const turns = fixtureTurns(index, item.seed.query, fixture);
    const endReason = fixture.endReason ?? 'max_turns';
    const files: ExportTranscriptOutput = await env.run(exportTranscript, {
      conversationId,
      outputFile: item.conversation.outputFile,
      endReason,
      turns,
    });
    const sum = (f: (t: Turn) => number) => turns.reduce((s, t) => s + f(t), 0);
    outcomes.push({
      itemHash: item.itemHash,
      conversationId,
      state,
      endReason,
      turns: turns.length,
      usage: {
        cloud: {
          inputTokens: sum((t) => t.cloudUsage.inputTokens),
          outputTokens: sum((t) => t.cloudUsage.outputTokens),
        },
        local: {
          inputTokens: sum((t) => t.localUsage.inputTokens),
          outputTokens: sum((t) => t.localUsage.outputTokens),
        },
      },
      costUsd: costOf(turns),
      unpricedModels: ['gemma3:270m'],
      startedAt,
      endedAt,
      csvPath: files.csvPath,
      jsonlPath: files.jsonlPath,
    });
  }
  return { campaignId, spec, plan, outcomes, startedAt: iso(T0), endedAt: iso(T0 + items.length * 60_000) };
}

/** The counts and totals the workflow would report for these outcomes. */
export function summarize(outcomes: readonly ItemOutcome[], itemCount: number) {
  const count = (state: string) => outcomes.filter((o) => o.state === state).length;
  const sum = (f: (o: ItemOutcome) => number) => outcomes.reduce((s, o) => s + f(o), 0);
  return {
    counts: {
      pending: itemCount - outcomes.length,
      running: 0,
      completed: count('completed'),
      failed: count('failed'),
      skipped: count('skipped'),
    },
    totals: {
      inputTokens: sum((o) => o.usage.cloud.inputTokens + o.usage.local.inputTokens),
      outputTokens: sum((o) => o.usage.cloud.outputTokens + o.usage.local.outputTokens),
      costUsd: sum((o) => o.costUsd),
      turns: sum((o) => o.turns),
    },
  };
}

/**
 * The campaign's last checkpoint (status completed, with `outcomes`) and its dataset, written by the real dataset
 * activities into the folder buildCampaignFolder made; Ollama at `ollamaUrl` answers the provenance look-ups.
 * Returns the manifest they wrote.
 */
export async function writeFixtureDataset(args: {
  outputDir: string;
  fixture: CampaignFixture;
  outcomes: ItemOutcome[];
  itemCount: number;
  ollamaUrl: string;
  spec?: Partial<CampaignSpec>;
}): Promise<CampaignManifest> {
  const { outputDir, fixture, outcomes } = args;
  const activities = makeDatasetActivities({
    store: new LocalStore(outputDir),
    ollama: createOllamaClient(args.ollamaUrl),
    temporalNamespace: 'default',
    prices: PRICES,
  });
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const checkpoint: CheckpointInput = {
    campaignId: fixture.campaignId,
    workflowId: `campaign-${fixture.campaignId}`,
    spec: { ...fixture.spec, ...args.spec },
    status: 'completed',
    ...summarize(outcomes, args.itemCount),
    startedAt: fixture.startedAt,
    endedAt: fixture.endedAt,
    outcomes,
  };
  await env.run(activities.checkpointCampaign, checkpoint);
  await env.run(activities.writeCampaignDataset, { campaignId: fixture.campaignId });
  const manifest = path.join(outputDir, 'campaigns', fixture.campaignId, 'manifest.json');
  return JSON.parse(await readFile(manifest, 'utf8')) as CampaignManifest;
}
