/**
 * `--estimate --pilot`: the pilot runs a stratified sample of the spec as a campaign of its own, the estimate is
 * recorded, and the campaign started after it takes the pilot's items over (no model called again for them) and
 * compares itself with the estimate. The real campaign and conversation workflows and activities run on Temporal's
 * test server, with model clients that count their calls.
 */
import type { WorkflowBundle } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runEstimate } from '../../src/campaign/estimate-run';
import type { EstimateSettings } from '../../src/campaign/estimate-settings';
import { startCampaign } from '../../src/campaign/start';
import { validateCampaign } from '../../src/campaign/validate';
import type { CampaignManifest } from '../../src/contracts/campaign';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { LocalStore } from '../../src/output/local-store';
import { createCampaignWorker } from '../helpers/campaign-worker';
import { ollamaClient } from '../helpers/ollama-client';
import { startWorkflowTestEnvironment } from '../helpers/workflow-test-environment';

jest.setTimeout(300_000);

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let dir: string;
let outputDir: string;
let inputDir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-pilot-'));
  outputDir = path.join(dir, 'output');
  inputDir = path.join(dir, 'input');
  await Promise.all([mkdir(outputDir), mkdir(inputDir)]);
  ({ env, workflowBundle } = await startWorkflowTestEnvironment());
}, 300_000);

afterAll(async () => {
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Model clients that count their calls and never repeat themselves; the first pair's answers are five times
 * longer than the second's (the cloud's output tokens say so).
 */
function countingModels() {
  const calls = { cloud: 0, local: 0 };
  const llm: LlmServiceClient = {
    generate: async (request) => {
      calls.cloud++;
      const long = request.temperature === 0.1;
      return {
        response: `Answer ${calls.cloud}: ${'word '.repeat(long ? 50 : 10)}`,
        model: 'fake-cloud',
        stopReason: 'end_turn',
        usage: { inputTokens: 10, outputTokens: long ? 50 : 10 },
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

const settings: EstimateSettings = {
  prices: {},
  defaults: { localModel: 'local-m', cloudMaxTokens: 100, localMaxTokens: 50 },
  caps: {
    cloud: { maxConcurrentCalls: 0, maxCallsPerSecond: 0 },
    local: { maxConcurrentCalls: 0, maxCallsPerSecond: 0 },
  },
};

test('the pilot measures the spec, and the campaign after it repeats none of its model calls', async () => {
  const models = countingModels();
  const store = new LocalStore(outputDir);
  const taskQueue = `campaign-pilot-${randomUUID()}`;
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
  const spec = {
    campaignId: 'whole',
    seeds: Array.from({ length: 6 }, (_, i) => `Seed ${i}: why is the sky blue?`),
    pairs: [{ cloud: { temperature: 0.1 } }, { cloud: { temperature: 0.9 } }],
    repeats: 2,
    maxTurns: 2,
    concurrency: 4,
  };
  const valid = await validateCampaign(spec, { inputDir });
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
  expect(valid.items).toHaveLength(24);

  await worker.runUntil(async () => {
    const { estimate, recorded } = await runEstimate({
      campaign: valid,
      settings,
      store,
      pilot: { client: env.client, taskQueue, inputDir, size: 4 },
    });
    expect(recorded).toBe(true);
    expect(estimate.basis).toBe('pilot');
    expect(estimate.measured?.pilot).toMatchObject({ items: 4 });
    expect(estimate.measured?.doneItems).toBe(4);
    // Every pilot item ran 2 turns, one call a side each.
    expect(models.calls).toEqual({ cloud: 4 * 2, local: 4 * 2 });
    // The fakes are exact: 24 items × 2 turns, the cloud's output 50 or 10 tokens a turn by pair.
    expect(estimate.expected.turns.expected).toBe(48);
    expect(estimate.expected.tokens.cloud.output.expected).toBe(12 * 2 * 50 + 12 * 2 * 10);

    // The same estimate asked again finds the same pilot finished: nothing runs again.
    await runEstimate({
      campaign: valid,
      settings,
      store,
      pilot: { client: env.client, taskQueue, inputDir, size: 4 },
    });
    expect(models.calls).toEqual({ cloud: 8, local: 8 });

    const { handle } = await startCampaign(env.client, taskQueue, valid);
    await handle.result();
  });
  // Only the 20 items the pilot did not run called a model.
  expect(models.calls).toEqual({ cloud: 8 + 20 * 2, local: 8 + 20 * 2 });

  const manifest = JSON.parse(
    await readFile(path.join(outputDir, 'campaigns', 'whole', 'manifest.json'), 'utf8'),
  ) as CampaignManifest;
  expect(manifest.counts).toMatchObject({ completed: 24, failed: 0 });
  expect(manifest.items.filter((i) => i.outcome?.reusedFrom?.startsWith('pilot-'))).toHaveLength(4);
  expect(manifest.estimate).toMatchObject({
    basis: 'pilot',
    pilot: { items: 4, reusedItems: 4 },
    actual: { turns: 48, tokens: { cloud: { output: 12 * 2 * 50 + 12 * 2 * 10 } } },
    ratio: { turns: 1, tokens: 1, cloudTokens: 1, localTokens: 1 },
  });
  expect(manifest.estimate!.actual.wallTimeSeconds).toEqual(expect.any(Number));
  const card = await readFile(path.join(outputDir, 'campaigns', 'whole', 'README.md'), 'utf8');
  expect(card).toContain('## Estimate and actual');
  expect(card).toMatch(/\| turns \| 48 \(48–48\) \| 48 \| 1\.00× \|/);
  const report = await readFile(path.join(outputDir, 'campaigns', 'whole', 'report.html'), 'utf8');
  expect(report).toContain('<table id="estimate">');
});
