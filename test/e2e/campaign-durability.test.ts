/**
 * Campaigns on the real Temporal dev server with the real worker process (three Workers: the main queue and the
 * capped provider queues), its models deterministic fakes behind the real HTTP clients. The fakes log every
 * model call's `X-Request-Id` (`<workflowId>:<activityId>:<attempt>`), so the test counts calls per
 * conversation turn and side, and their peak of calls in flight.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import {
  campaignStatusQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import {
  CAMPAIGN_WORKFLOW_TYPE,
  type CampaignItem,
  type CampaignManifest,
  type ItemOutcome,
} from '../../src/contracts/campaign';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { totalTokens, transcriptQuery, WORKFLOW_TYPE } from '../../src/contracts/conversation';
import type { conversationWorkflow } from '../../src/worker/workflows';
import type { CallLog } from '../fixtures/call-log';
import { withWorkerComponents } from '../helpers/worker-components';
import { until } from '../helpers/wait';
import { hashedQuestion } from '../fixtures/ollama-server';

const CLOUD_CAP = 4;
const LOCAL_CAP = 3;
const PRICES = { 'fake-cloud': { inputPer1k: 1, outputPer1k: 2 } };

const stack = withWorkerComponents({
  llmLatencyMs: 30,
  ollama: {
    latencyMs: 30,
    reply: hashedQuestion,
  },
  env: {
    CLOUD_MAX_CONCURRENT_CALLS: String(CLOUD_CAP),
    LOCAL_MAX_CONCURRENT_CALLS: String(LOCAL_CAP),
    CLOUD_MAX_CALLS_PER_SECOND: '0',
    MODEL_PRICES_FILE: pricesFileOf(PRICES),
  },
});

function pricesFileOf(prices: object): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'campaign-prices-')), 'prices.json');
  writeFileSync(file, JSON.stringify(prices));
  return file;
}

type CampaignHandle = WorkflowHandle<typeof campaignWorkflow>;

function startCampaign(campaignId: string, spec: CampaignSpec, resubmit = false): Promise<CampaignHandle> {
  return stack.client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: 'llm-conversations',
    workflowId: `campaign-${campaignId}`,
    args: [spec],
    ...(resubmit && { workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const }),
  });
}

function campaignDir(campaignId: string): string {
  return path.join(stack.outputDir, 'campaigns', campaignId);
}

/** manifest.json, with the outcomes by item hash. */
function readManifest(campaignId: string): CampaignManifest & { outcomes: Record<string, ItemOutcome> } {
  const manifest = JSON.parse(
    readFileSync(path.join(campaignDir(campaignId), 'manifest.json'), 'utf8'),
  ) as CampaignManifest;
  const outcomes = Object.fromEntries(
    manifest.items.flatMap((i) => (i.outcome ? [[i.itemHash, i.outcome] as const] : [])),
  );
  return { ...manifest, outcomes };
}

function planItems(campaignId: string): CampaignItem[] {
  const file = path.join(campaignDir(campaignId), 'plan.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CampaignItem);
}

interface Call {
  workflowId: string;
  activityId: string;
  attempt: number;
}

/** The calls a fake saw for the conversations of one campaign. */
function callsOf(log: CallLog, campaignId: string): Call[] {
  return log.requestIds
    .filter((id) => id.startsWith(`campaign-${campaignId}-`))
    .map((id) => {
      const [workflowId, activityId, attempt] = id.split(':');
      return { workflowId: workflowId!, activityId: activityId!, attempt: Number(attempt) };
    });
}

function groupByTurn(calls: Call[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const c of calls) {
    const key = `${c.workflowId}:${c.activityId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), c.attempt]);
  }
  return byKey;
}

const SEEDS = Array.from({ length: 20 }, (_, i) => `Seed question ${i}: what makes systems durable?`);
const BIG: CampaignSpec = {
  name: 'durability',
  seeds: SEEDS,
  pairs: [{ cloud: { temperature: 0.2 } }, { cloud: { temperature: 0.8 } }],
  repeats: 5,
  maxTurns: 3,
  concurrency: 10,
};

describe('a 200-item campaign (20 seeds × 2 pairs × 5 repeats, 3 turns)', () => {
  const id = 'big';
  let result: Awaited<ReturnType<typeof campaignWorkflow>>;
  let killedWhileFinished: number;

  beforeAll(async () => {
    stack.llm.log.resetPeak();
    stack.ollama.log.resetPeak();
    const handle = await startCampaign(id, BIG);
    const before = await until(
      () => handle.query(campaignStatusQuery),
      (s) => s.counts.completed >= 40,
      { timeoutMs: 300_000, intervalMs: 200, what: '40 completed items' },
    );
    killedWhileFinished = before.counts.completed;
    await stack.components.stop('worker', { signal: 'SIGKILL' });
    await stack.components.start('worker', 'worker-after-crash');
    result = await handle.result();
  }, 900_000);

  it('completes with exactly 200 conversations, the worker SIGKILLed mid-way', async () => {
    expect(killedWhileFinished).toBeLessThan(200);
    expect(result.status).toBe('completed');
    expect(result.counts).toEqual({ pending: 0, running: 0, completed: 200, failed: 0, skipped: 0 });
    expect(result.totals.turns).toBe(600);
    const manifest = readManifest(id);
    expect(Object.keys(manifest.outcomes).sort()).toEqual(
      planItems(id)
        .map((i) => i.itemHash)
        .sort(),
    );
    expect(Object.values(manifest.outcomes).every((o) => o.endReason === 'max_turns' && o.turns === 3)).toBe(
      true,
    );
    const children = await until(
      () => stack.client.workflow.count(`CampaignId = "${id}"`),
      (c) => c.count === 200,
      { timeoutMs: 60_000, intervalMs: 500, what: '200 conversations with CampaignId' },
    );
    expect(children.count).toBe(200);
  });

  it('called each (item, turn, side) once; only the calls cut off by the kill were retried', () => {
    for (const [log, cap] of [
      [stack.llm.log, CLOUD_CAP],
      [stack.ollama.log, LOCAL_CAP],
    ] as const) {
      const byTurn = groupByTurn(callsOf(log, id));
      expect(byTurn.size).toBe(200 * 3);
      const perConversation = new Map<string, number>();
      for (const key of byTurn.keys()) {
        const wf = key.split(':')[0]!;
        perConversation.set(wf, (perConversation.get(wf) ?? 0) + 1);
      }
      expect(perConversation.size).toBe(200);
      expect([...perConversation.values()].every((n) => n === 3)).toBe(true);
      // Only the calls the dead worker held (at most its cap) ran again, as later attempts: Temporal's retry after
      // the heartbeat timeout. Attempt 1 may never have reached the fake (killed before its request was sent).
      const retried = [...byTurn.values()].filter((attempts) => attempts.some((a) => a > 1));
      expect(retried.length).toBeLessThanOrEqual(cap);
      for (const attempts of byTurn.values()) {
        expect(new Set(attempts).size).toBe(attempts.length);
      }
    }
  });

  it('never had more model calls in flight than the provider caps', () => {
    expect(stack.llm.log.peakInFlight).toBeGreaterThan(0);
    expect(stack.llm.log.peakInFlight).toBeLessThanOrEqual(CLOUD_CAP);
    expect(stack.ollama.log.peakInFlight).toBeGreaterThan(0);
    expect(stack.ollama.log.peakInFlight).toBeLessThanOrEqual(LOCAL_CAP);
  });

  it('resubmitted, runs nothing again and records every item from its conversation', async () => {
    const calls = [stack.llm.calls, stack.ollama.calls];
    const again = await (await startCampaign(id, BIG, true)).result();
    expect(again.counts).toEqual({ pending: 0, running: 0, completed: 200, failed: 0, skipped: 0 });
    expect(again.totals).toEqual(result.totals);
    expect([stack.llm.calls, stack.ollama.calls]).toEqual(calls);
    expect((await stack.client.workflow.count(`CampaignId = "${id}"`)).count).toBe(200);
  }, 600_000);
});

/** Turns that depend on the seed: "quick" ones say the stop phrase at once, "slow" ones talk to maxTurns. */
function smallSpec(seeds: string[], extra: Partial<CampaignSpec> = {}): CampaignSpec {
  return { seeds, pairs: [{}], concurrency: 2, delayBetweenTurnsMs: 400, ...extra };
}

function conversationHandle(campaignId: string, item: CampaignItem) {
  return stack.client.workflow.getHandle<typeof conversationWorkflow>(
    `campaign-${campaignId}-${item.itemHash}`,
  );
}

describe('a campaign', () => {
  it('pauses (no new starts, its conversations hold after their turn) and resumes', async () => {
    const id = 'pause';
    const handle = await startCampaign(
      id,
      smallSpec(
        ['one', 'two', 'three', 'four'].map((s) => `Pause ${s}`),
        { maxTurns: 3 },
      ),
    );
    await until(
      () => handle.query(campaignStatusQuery),
      (s) => s.counts.running === 2,
      {
        timeoutMs: 60_000,
        what: 'two running conversations',
      },
    );
    await handle.signal(pauseCampaignSignal);
    const items = planItems(id);
    const running = items.slice(0, 2).map((item) => conversationHandle(id, item));
    for (const child of running) {
      // The campaign counts a conversation as running once it asked for its start, a moment before it exists.
      await until(
        () => child.query(transcriptQuery).catch(notYetStarted),
        (t) => t?.paused === true,
        {
          timeoutMs: 60_000,
          what: 'a paused conversation',
        },
      );
    }
    // Each turn is a cloud call then a local one: equal counts and none in flight, the turns are over.
    await until(
      () => [
        callsOf(stack.llm.log, id).length,
        callsOf(stack.ollama.log, id).length,
        stack.llm.log.inFlight + stack.ollama.log.inFlight,
      ],
      ([cloud, local, inFlight]) => cloud === local && inFlight === 0,
      { timeoutMs: 30_000, what: 'the current turns to end' },
    );
    const calls = [stack.llm.calls, stack.ollama.calls];
    const paused = await handle.query(campaignStatusQuery);
    // Nothing may happen while paused: watched for a while, since there is no event to wait for.
    await delay(3000);
    expect([stack.llm.calls, stack.ollama.calls]).toEqual(calls);
    const still = await handle.query(campaignStatusQuery);
    expect(still.status).toBe('paused');
    expect(still.counts).toEqual(paused.counts);
    expect(still.counts.pending).toBe(2);

    await handle.signal(resumeCampaignSignal);
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.counts.completed).toBe(4);
    expect(readManifest(id).status).toBe('completed');
  }, 300_000);

  it('cancels: no new starts, its running conversations cancelled with their partial transcripts exported', async () => {
    const id = 'cancel';
    const handle = await startCampaign(
      id,
      smallSpec(['Cancel one', 'Cancel two', 'Cancel three'], { maxTurns: 30 }),
    );
    const items = await until(
      () => planItems(id),
      (i) => i.length === 3,
      { timeoutMs: 60_000, what: 'the plan' },
    );
    const running = items.slice(0, 2).map((item) => conversationHandle(id, item));
    for (const child of running) {
      await until(
        () => child.query(transcriptQuery).catch(() => ({ completedTurns: 0 })),
        (t) => t.completedTurns >= 1,
        {
          timeoutMs: 60_000,
          what: 'a first turn',
        },
      );
    }
    await handle.signal(cancelCampaignSignal);
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    expect(result.stopReason).toBe('cancelled');
    expect(result.counts).toMatchObject({ completed: 0, failed: 2, skipped: 1, running: 0, pending: 0 });
    const manifest = readManifest(id);
    expect(manifest.status).toBe('cancelled');
    for (const item of items.slice(0, 2)) {
      expect(manifest.outcomes[item.itemHash]).toMatchObject({ state: 'failed', endReason: 'cancelled' });
      expect((await conversationHandle(id, item).describe()).status.name).toBe('CANCELLED');
      const csv = path.join(stack.outputDir, item.conversation.outputFile!);
      const rows = parse(readFileSync(csv, 'utf8')) as string[][];
      expect(rows.length).toBeGreaterThan(1);
    }
    expect(existsSync(path.join(stack.outputDir, items[2]!.conversation.outputFile!))).toBe(false);
  }, 300_000);

  it('stops at its budget: no new starts, its running conversations end as `budget`', async () => {
    const id = 'budget';
    // The quick seed's first answer quotes it and says the stop phrase; the slow one talks on until stopped.
    const handle = await startCampaign(
      id,
      smallSpec(
        [
          'Quick seed: ends at once',
          'Slow seed: talks on',
          'Slow seed: never started',
          'Slow seed: nor this',
        ],
        {
          maxTurns: 30,
          stopPhrases: ['quick seed'],
          budget: { maxTokens: 1 },
        },
      ),
    );
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.stopReason).toBe('budget_tokens');
    expect(result.counts).toMatchObject({ completed: 2, failed: 0, skipped: 2 });
    const status = await handle.query(campaignStatusQuery);
    expect(status.budget).toEqual({ maxTokens: 1, reached: true });
    const outcomes = Object.values(readManifest(id).outcomes);
    expect(outcomes.map((o) => o.endReason).sort()).toEqual(['budget', 'stop_phrase']);
    expect(outcomes.find((o) => o.endReason === 'budget')!.turns).toBeLessThan(30);
  }, 300_000);

  it('fails fast on a bad spec started from the Temporal CLI, naming the path', async () => {
    const handle = await startCampaign('bad-spec', { seeds: ['x'], pairs: [{ cloud: { temperature: 7 } }] });
    await expect(handle.result()).rejects.toMatchObject({
      cause: { type: 'InvalidCampaignSpec', message: expect.stringContaining('pairs[0].cloud.temperature') },
    });
  }, 60_000);
});

describe('a conversation', () => {
  it('ends as `budget` at its maxTotalTokens, with its usage and cost priced from MODEL_PRICES_FILE', async () => {
    const conversationId = 'conversation-max-total-tokens';
    const handle = await stack.client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
      taskQueue: 'llm-conversations',
      workflowId: conversationId,
      args: [{ initialQuery: 'How long can we talk?', maxTurns: 20, maxTotalTokens: 150, conversationId }],
    });
    const result = await handle.result();
    expect(result.endReason).toBe('budget');
    expect(result.completedTurns).toBeGreaterThan(1);
    expect(result.completedTurns).toBeLessThan(20);
    expect(totalTokens(result.turns)).toBeGreaterThanOrEqual(150);
    expect(totalTokens(result.turns.slice(0, -1))).toBeLessThan(150);
    const { cloud, local } = result.usage!;
    expect(cloud.inputTokens + cloud.outputTokens + local.inputTokens + local.outputTokens).toBe(
      totalTokens(result.turns),
    );
    const price = PRICES['fake-cloud'];
    expect(result.costUsd).toBeCloseTo(
      (cloud.inputTokens / 1000) * price.inputPer1k + (cloud.outputTokens / 1000) * price.outputPer1k,
      10,
    );
    expect(result.unpricedModels).toEqual(['gemma3:270m']);
    const jsonl = JSON.parse(readFileSync(result.jsonlPath, 'utf8')) as { endReason: string };
    expect(jsonl.endReason).toBe('budget');
  }, 120_000);
});

function notYetStarted(err: unknown): undefined {
  if (err instanceof WorkflowNotFoundError) return undefined;
  throw err;
}
