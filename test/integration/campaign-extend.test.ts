/**
 * `extends: <campaignId>`: a campaign that adds seeds and repeats to a finished one runs only its new items. The
 * real campaign and conversation workflows and activities run on Temporal's test server, with model clients that
 * count their calls.
 */
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCampaign } from '../../src/campaign/start';
import { validateCampaign } from '../../src/campaign/validate';
import type { CampaignManifest } from '../../src/contracts/campaign';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { LocalStore } from '../../src/output/local-store';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { createCampaignWorker } from '../helpers/campaign-worker';
import { ollamaClient } from '../helpers/ollama-client';
import { registerConversationSearchAttributes } from '../helpers/search-attributes';
import { requireTool } from '../helpers/tools';

jest.setTimeout(300_000);

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let dir: string;
let outputDir: string;
let inputDir: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-extend-'));
  outputDir = path.join(dir, 'output');
  inputDir = path.join(dir, 'input');
  await Promise.all([mkdir(outputDir), mkdir(inputDir)]);
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

/** Model clients that count their calls and never repeat themselves. */
function countingModels() {
  const calls = { cloud: 0, local: 0 };
  const llm: LlmServiceClient = {
    generate: async (request) => {
      calls.cloud++;
      const last = request.messages.at(-1)?.content ?? '';
      return {
        response: `Answer ${calls.cloud} to ${last.slice(0, 30)}`,
        model: 'fake-cloud',
        stopReason: 'end_turn',
        usage: { inputTokens: 10, outputTokens: 20 },
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
        message: { role: 'assistant', content: `Distinct question number ${calls.local}?` },
        prompt_eval_count: 5,
        eval_count: 3,
      };
    },
    tags: async () => ({ models: [] }),
  });
  return { calls, llm, ollama };
}

async function runCampaign(
  spec: object,
  models: ReturnType<typeof countingModels>,
): Promise<CampaignManifest> {
  const taskQueue = `campaign-extend-${randomUUID()}`;
  const store = new LocalStore(outputDir);
  const worker = await createCampaignWorker({
    env,
    workflowBundle,
    taskQueue,
    llm: models.llm,
    ollama: models.ollama,
    store,
    inputDir,
    maxTokens: { cloud: 100, local: 50 },
  });
  const valid = await validateCampaign(spec, { inputDir });
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
  await worker.runUntil(async () => {
    const { handle } = await startCampaign(env.client, taskQueue, valid);
    await handle.result();
  });
  const manifest = await readFile(
    path.join(outputDir, 'campaigns', valid.campaignId, 'manifest.json'),
    'utf8',
  );
  return JSON.parse(manifest) as CampaignManifest;
}

const shared = { pairs: [{}], maxTurns: 2, concurrency: 4 };

test('a campaign that extends a finished one runs only the items it adds: 0 model calls for the rest', async () => {
  const first = countingModels();
  const parent = await runCampaign(
    { campaignId: 'parent', seeds: ['Why is the sky blue?', 'What is rain?'], repeats: 2, ...shared },
    first,
  );
  expect(parent.counts.completed).toBe(4);
  expect(first.calls).toEqual({ cloud: 8, local: 8 });

  // One seed more and one repeat more: 3 × 3 = 9 items, of which the parent's 4.
  const second = countingModels();
  const child = await runCampaign(
    {
      campaignId: 'child',
      extends: 'parent',
      seeds: ['Why is the sky blue?', 'What is rain?', 'What is snow?'],
      repeats: 3,
      ...shared,
    },
    second,
  );
  expect(child.counts).toMatchObject({ completed: 9, failed: 0 });
  expect(second.calls).toEqual({ cloud: 5 * 2, local: 5 * 2 });
  expect(child.provenance.parent).toEqual({ campaignId: 'parent', reusedItems: 4 });
  const reused = child.items.filter((i) => i.outcome?.reusedFrom === 'parent');
  expect(reused.map((i) => i.itemHash).sort()).toEqual(parent.items.map((i) => i.itemHash).sort());
  for (const item of reused) {
    const before = parent.items.find((i) => i.itemHash === item.itemHash)!;
    expect(item.outcome).toEqual({ ...before.outcome, reusedFrom: 'parent' });
    expect(item.quality).toEqual(before.quality);
  }
  // The totals are this campaign's own calls; the dataset holds all nine conversations.
  expect(child.totals.turns).toBe(5 * 2);
  const rows = (await readFile(path.join(outputDir, 'campaigns', 'child', 'conversations.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean);
  expect(rows).toHaveLength(9);
  const card = await readFile(path.join(outputDir, 'campaigns', 'child', 'README.md'), 'utf8');
  expect(card).toContain('Extends campaign `parent`: 4 of its completed conversations are taken over');

  // Extending the child takes the parent's items from it too, naming where each was made.
  const third = countingModels();
  const grandchild = await runCampaign(
    { campaignId: 'grandchild', extends: 'child', seeds: ['Why is the sky blue?'], repeats: 3, ...shared },
    third,
  );
  expect(third.calls).toEqual({ cloud: 0, local: 0 });
  expect(grandchild.items.map((i) => i.outcome?.reusedFrom).sort()).toEqual(['child', 'parent', 'parent']);
});

test('re-curating a finished campaign: one that extends it with another curate makes 0 model calls', async () => {
  const spec = { seeds: ['Why is the sky blue?', 'What is rain?', 'What is snow?'], ...shared };
  const first = countingModels();
  await runCampaign({ campaignId: 'generated', ...spec }, first);
  expect(first.calls).toEqual({ cloud: 6, local: 6 });

  const curated = async (campaignId: string, curate: object) => {
    const models = countingModels();
    const manifest = await runCampaign({ campaignId, extends: 'generated', curate, ...spec }, models);
    expect(models.calls).toEqual({ cloud: 0, local: 0 });
    const folder = path.join(outputDir, 'campaigns', campaignId);
    const train = (await readFile(path.join(folder, 'conversations.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    const dropped = await readFile(path.join(folder, 'dropped.jsonl'), 'utf8').catch(() => '');
    return { manifest, train: train.length, dropped: dropped.split('\n').filter(Boolean).length };
  };
  const lenient = await curated('curated-lenient', { minTurns: 2 });
  expect(lenient.manifest.curation).toEqual({ candidates: 3, kept: 3, dropped: 0, byRule: {} });
  expect([lenient.train, lenient.dropped]).toEqual([3, 0]);
  const strict = await curated('curated-strict', { minTurns: 3 });
  expect(strict.manifest.curation).toEqual({ candidates: 3, kept: 0, dropped: 3, byRule: { minTurns: 3 } });
  expect([strict.train, strict.dropped]).toEqual([0, 3]);
  expect(strict.manifest.items.map((i) => i.droppedBy)).toEqual([['minTurns'], ['minTurns'], ['minTurns']]);
  expect(strict.manifest.totals.turns).toBe(0);
});

test('extending a campaign that never ran here fails at once, naming extends', async () => {
  const models = countingModels();
  const failure = await runCampaign(
    { campaignId: 'orphan', extends: 'no-such-campaign', seeds: ['Hi?'], ...shared },
    models,
  ).catch((err: unknown) => err);
  const messages: string[] = [];
  for (let e = failure as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    messages.push(e.message ?? '');
  }
  expect(messages.join(' / ')).toMatch(/extends: campaign no-such-campaign has no manifest in OUTPUT_DIR/);
  expect(models.calls).toEqual({ cloud: 0, local: 0 });
});

test('adding a repeat, a seed and a pair to a 1 000-item campaign costs only the 331 new items', async () => {
  const seeds = (n: number) => Array.from({ length: n }, (_, i) => `Large seed ${i}: what is new here?`);
  const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ cloud: { temperature: i / 10 } }));
  const large = { maxTurns: 1, concurrency: 50 };
  const first = countingModels();
  const parent = await runCampaign(
    { campaignId: 'large', seeds: seeds(10), pairs: pairs(10), repeats: 10, ...large },
    first,
  );
  expect(parent.counts).toMatchObject({ completed: 1000, failed: 0 });
  expect(first.calls).toEqual({ cloud: 1000, local: 1000 });

  // 11 seeds × 11 pairs × 11 repeats = 1 331 items: the parent's 1 000 and 331 new ones, one turn each.
  const second = countingModels();
  const child = await runCampaign(
    {
      campaignId: 'large-extended',
      extends: 'large',
      seeds: seeds(11),
      pairs: pairs(11),
      repeats: 11,
      ...large,
    },
    second,
  );
  expect(second.calls).toEqual({ cloud: 331, local: 331 });
  expect(child.counts).toMatchObject({ completed: 1331, failed: 0 });
  expect(child.provenance.parent).toEqual({ campaignId: 'large', reusedItems: 1000 });
  expect(child.totals.turns).toBe(331);
  const reused = child.items.filter((i) => i.outcome?.reusedFrom === 'large');
  expect(reused.map((i) => i.itemHash).sort()).toEqual(parent.items.map((i) => i.itemHash).sort());
  const rows = (
    await readFile(path.join(outputDir, 'campaigns', 'large-extended', 'conversations.jsonl'), 'utf8')
  )
    .split('\n')
    .filter(Boolean);
  expect(rows).toHaveLength(1331);
  const card = await readFile(path.join(outputDir, 'campaigns', 'large-extended', 'README.md'), 'utf8');
  expect(card).toContain('Extends campaign `large`: 1000 of its completed conversations are taken over');
}, 900_000);
