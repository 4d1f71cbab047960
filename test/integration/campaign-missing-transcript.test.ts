/**
 * A campaign never says `completed` without its dataset: the real campaign and conversation workflows on Temporal's
 * time-skipping test server, the conversations exporting to one folder (as a worker on another machine would) and
 * the dataset activities reading another. The dataset step fails for the missing transcripts, is retried, and the
 * campaign ends `failed` naming them; with one shared store the same campaign completes with its dataset whole.
 */
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import {
  CAMPAIGN_WORKFLOW_TYPE,
  CampaignFailureType,
  campaignStatusQuery,
  type CampaignManifest,
} from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { LocalStore } from '../../src/output/local-store';
import type { OutputStore } from '../../src/output/store';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { createCampaignWorker } from '../helpers/campaign-worker';
import { ollamaClient } from '../helpers/ollama-client';
import { registerConversationSearchAttributes } from '../helpers/search-attributes';
import { requireTool } from '../helpers/tools';

jest.setTimeout(300_000);

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let scratch: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  scratch = await mkdtemp(path.join(tmpdir(), 'campaign-missing-'));
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
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const llm: LlmServiceClient = {
  generate: async (request) => ({
    response: `An answer to ${request.messages?.at(-1)?.content.length ?? 0} characters`,
    model: 'fake-cloud',
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 20 },
    latencyMs: 5,
    requestId: randomUUID(),
  }),
};
const ollama = ollamaClient({
  chat: async (request) => ({
    model: request.model,
    message: { role: 'assistant', content: 'What comes next?' },
    prompt_eval_count: 30,
    eval_count: 7,
  }),
});

const SPEC: CampaignSpec = { seeds: ['First seed?', 'Second seed?'], pairs: [{}], repeats: 2, maxTurns: 1 };

/** A worker whose conversations export to `exportTo` and whose campaign activities use `campaignStore`. */
async function runCampaign(campaignId: string, exportTo: OutputStore, campaignStore: OutputStore) {
  const taskQueue = `campaign-missing-${randomUUID()}`;
  const worker = await createCampaignWorker({
    env,
    workflowBundle,
    taskQueue,
    llm,
    ollama,
    store: exportTo,
    campaignStore,
    inputDir: scratch,
    maxTokens: { cloud: 100, local: 50 },
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `campaign-${campaignId}`,
      args: [SPEC],
    });
    const result = await handle.result().then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    );
    return { result, view: await handle.query(campaignStatusQuery) };
  });
}

async function manifestOf(store: LocalStore, campaignId: string): Promise<CampaignManifest> {
  return JSON.parse(
    await readFile(path.join(store.location(), 'campaigns', campaignId, 'manifest.json'), 'utf8'),
  ) as CampaignManifest;
}

test('transcripts in another worker’s folder: the dataset step fails, the campaign ends failed naming them', async () => {
  const here = new LocalStore(path.join(scratch, 'machine-a'));
  const there = new LocalStore(path.join(scratch, 'machine-b'));
  const { result, view } = await runCampaign('split', there, here);

  expect('err' in result).toBe(true);
  const err = (result as { err: unknown }).err;
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const failure = (err as WorkflowFailedError).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe(CampaignFailureType.DatasetIncomplete);
  // Every one of the 4 transcripts, where the other worker wrote it.
  expect(failure?.message).toContain(`(${CampaignFailureType.TranscriptsMissing}): 4 transcripts`);
  expect(failure?.message).toContain(path.join(there.location(), 'campaigns', 'split', 'conversations'));

  expect(view.status).toBe('failed');
  expect(view.failure).toEqual({ type: CampaignFailureType.DatasetIncomplete, message: failure?.message });
  expect(view.counts).toMatchObject({ completed: 4, failed: 0, pending: 0, running: 0 });

  const manifest = await manifestOf(here, 'split');
  expect(manifest.status).toBe('failed');
  expect(manifest.failure?.message).toBe(failure?.message);
  const report = await readFile(path.join(here.location(), 'campaigns', 'split', 'report.html'), 'utf8');
  expect(report).toContain(`data-failure="${CampaignFailureType.DatasetIncomplete}"`);
  for (const file of ['conversations.jsonl', 'conversations.parquet', 'sharegpt.jsonl', 'README.md']) {
    expect(existsSync(path.join(here.location(), 'campaigns', 'split', file))).toBe(false);
  }
});

test('one store for both: completed once the dataset is whole, and the manifest says so', async () => {
  const shared = new LocalStore(path.join(scratch, 'shared'));
  const { result, view } = await runCampaign('whole', shared, shared);

  expect(result).toMatchObject({ value: { status: 'completed' } });
  expect(view.status).toBe('completed');
  expect(view.failure).toBeUndefined();
  const manifest = await manifestOf(shared, 'whole');
  expect(manifest.status).toBe('completed');
  const lines = (await shared.read('campaigns/whole/conversations.jsonl'))!
    .toString('utf8')
    .trim()
    .split('\n');
  expect(lines).toHaveLength(4);
});
