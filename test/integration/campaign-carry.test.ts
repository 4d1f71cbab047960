/**
 * A campaign continues-as-new (every ITEMS_PER_RUN starts) without waiting for its running conversations: they are
 * carried into the next run by id, and one slow conversation no longer holds every slot while the run drains.
 */
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCampaign } from '../../src/campaign/start';
import { validateCampaign } from '../../src/campaign/validate';
import { ITEMS_PER_RUN } from '../../src/campaign/workflows/campaign';
import type { CampaignManifest } from '../../src/contracts/campaign';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { LocalStore } from '../../src/output/local-store';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { createCampaignWorker } from '../helpers/campaign-worker';
import { ollamaClient } from '../helpers/ollama-client';
import { registerConversationSearchAttributes } from '../helpers/search-attributes';
import { requireTool } from '../helpers/tools';
import { until } from '../helpers/wait';

jest.setTimeout(600_000);

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let dir: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-carry-'));
  await Promise.all([mkdir(path.join(dir, 'output')), mkdir(path.join(dir, 'input'))]);
  [env, workflowBundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireTool('temporal-test-server') } },
    }),
    bundleWorkflowCode({ ...workflowBundling, logger: new DefaultLogger('WARN') }),
  ]);
  await registerConversationSearchAttributes(env.connection, env.namespace ?? 'default');
}, 300_000);

afterAll(async () => {
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

test('a slow conversation is carried over the continue-as-new while the next run starts the items after it', async () => {
  const BLOCKED = 'The slow seed?';
  // Past two runs' worth: a full run goes on replacing the conversations that end until it can continue.
  const count = 2 * ITEMS_PER_RUN + 20;
  const seeds = Array.from({ length: count }, (_, i) => (i === ITEMS_PER_RUN - 3 ? BLOCKED : `Seed ${i}?`));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const calls = { cloud: 0, local: 0 };
  const llm: LlmServiceClient = {
    generate: async (request) => {
      calls.cloud++;
      const query = request.messages.at(-1)?.content ?? '';
      if (query === BLOCKED) await released;
      return {
        response: `An answer to ${query}`,
        model: 'fake-cloud',
        stopReason: 'end_turn',
        usage: { inputTokens: 1, outputTokens: 1 },
        latencyMs: 1,
        requestId: `r-${calls.cloud}`,
      };
    },
  };
  const ollama = ollamaClient({
    chat: async (request) => {
      calls.local++;
      return {
        model: request.model,
        message: { role: 'assistant', content: `Question ${calls.local}?` },
        prompt_eval_count: 1,
        eval_count: 1,
      };
    },
    tags: async () => ({ models: [] }),
  });
  const store = new LocalStore(path.join(dir, 'output'));
  const taskQueue = `campaign-carry-${randomUUID()}`;
  const worker = await createCampaignWorker({
    env,
    workflowBundle,
    taskQueue,
    llm,
    ollama,
    store,
    inputDir: path.join(dir, 'input'),
  });
  const valid = await validateCampaign(
    { campaignId: 'carry', seeds, pairs: [{}], maxTurns: 1, concurrency: 5, novelty: false },
    { inputDir: path.join(dir, 'input') },
  );
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));

  await worker.runUntil(async () => {
    const { handle, runId } = await startCampaign(env.client, taskQueue, valid);
    // Every other conversation, those after the first run's last start included, ends while the slow one waits.
    await until(
      async () => calls.local,
      (n) => n >= count - 1, // a retried call on a loaded machine counts twice
      { timeoutMs: 300_000, intervalMs: 200, what: 'every conversation but the slow one done' },
    );
    expect((await handle.describe()).runId).not.toBe(runId);
    release();
    await handle.result();
  });

  const manifest = JSON.parse(
    await readFile(path.join(dir, 'output', 'campaigns', 'carry', 'manifest.json'), 'utf8'),
  ) as CampaignManifest;
  expect(manifest.counts).toMatchObject({ completed: count, failed: 0, pending: 0, running: 0 });
  const slow = manifest.items.find((i) => i.index === ITEMS_PER_RUN - 3)!;
  expect(slow.outcome).toMatchObject({ state: 'completed', turns: 1, endReason: 'max_turns' });
  expect(calls.cloud).toBe(count);
});

test('`temporal workflow cancel` on a campaign still cancels its conversations, checkpoints and writes the dataset', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const calls = { cloud: 0, local: 0 };
  const llm: LlmServiceClient = {
    generate: async (request) => {
      calls.cloud++;
      const query = request.messages.at(-1)?.content ?? '';
      if (query !== 'Quick?') await released;
      return {
        response: `An answer to ${query}`,
        model: 'fake-cloud',
        stopReason: 'end_turn',
        usage: { inputTokens: 1, outputTokens: 1 },
        latencyMs: 1,
        requestId: `r-${calls.cloud}`,
      };
    },
  };
  const ollama = ollamaClient({
    chat: async (request) => {
      calls.local++;
      return {
        model: request.model,
        message: { role: 'assistant', content: `Question ${calls.local}?` },
        prompt_eval_count: 1,
        eval_count: 1,
      };
    },
    tags: async () => ({ models: [] }),
  });
  const store = new LocalStore(path.join(dir, 'output'));
  const taskQueue = `campaign-cancel-${randomUUID()}`;
  const worker = await createCampaignWorker({
    env,
    workflowBundle,
    taskQueue,
    llm,
    ollama,
    store,
    inputDir: path.join(dir, 'input'),
  });
  const valid = await validateCampaign(
    {
      campaignId: 'cancelled',
      seeds: ['Quick?', 'Slow?', 'Slower?'],
      pairs: [{}],
      maxTurns: 1,
      novelty: false,
    },
    { inputDir: path.join(dir, 'input') },
  );
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
  const failure = await worker.runUntil(async () => {
    const { handle } = await startCampaign(env.client, taskQueue, valid);
    await until(
      async () => calls,
      (c) => c.local === 1 && c.cloud === 3,
      { timeoutMs: 120_000, intervalMs: 100, what: 'the quick conversation done, the two slow ones waiting' },
    );
    await handle.cancel();
    return handle.result().catch((err: unknown) => err);
  });
  release();
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

  const folder = path.join(dir, 'output', 'campaigns', 'cancelled');
  const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;
  expect(manifest.status).toBe('cancelled');
  expect(manifest.stopReason).toBe('cancelled');
  expect(manifest.counts).toMatchObject({ completed: 1, failed: 2, running: 0, pending: 0 });
  expect(manifest.items.map((i) => i.outcome?.endReason)).toEqual(['max_turns', 'cancelled', 'cancelled']);
  const rows = (await readFile(path.join(folder, 'conversations.jsonl'), 'utf8')).split('\n').filter(Boolean);
  expect(rows).toHaveLength(1);
});
