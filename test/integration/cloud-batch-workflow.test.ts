/**
 * Batch mode's workflows on Temporal's dev server: conversations that ask their cloud turns through the batcher
 * (cloudBatchWorkflow), which sends them to the local Bedrock batch stand-in as Converse jobs through the real
 * @aws-sdk/client-bedrock, with the records and answers in a real S3 API server (moto). Jobs that come back
 * PartiallyCompleted or Expired, records with error lines, too few requests for a job, and a cancel. Every Bedrock
 * and S3 request is checked against botocore's models.
 */
import {
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
  type BedrockClient,
} from '@aws-sdk/client-bedrock';
import type { S3Client } from '@aws-sdk/client-s3';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeCloudBatchJobActivities } from '../../src/campaign/activities/batch-jobs';
import type { CloudBatchInput, CloudBatchStats } from '../../src/campaign/workflows/batcher';
import { type CloudBatch } from '../../src/contracts/batch-spec';
import {
  CLOUD_BATCH_WORKFLOW_TYPE,
  cloudBatchWorkflowId,
  finishCloudBatchSignal,
  type CloudBatchRoute,
} from '../../src/contracts/batcher';
import {
  WORKFLOW_TYPE,
  type ConversationInput,
  type ConversationResult,
} from '../../src/contracts/conversation';
import type { GenerateRequestBody, GenerateResponseBody } from '../../src/contracts/llm-rest';
import { createActivities } from '../../src/conversation/activities';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { createBatchJobs } from '../../src/models/bedrock-batch/jobs';
import { LocalStore } from '../../src/output/local-store';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { BedrockBatchStandIn, EchoProvider } from '../fixtures/bedrock-batch-stand-in';
import { S3Server } from '../fixtures/s3-server';
import { loadServiceModel, requestProblems } from '../helpers/botocore';
import { s3Operations, s3Problems } from '../helpers/botocore-s3';
import { ollamaClient } from '../helpers/ollama-client';
import { CONVERSATION_SEARCH_ATTRIBUTES } from '../../src/conversation/search-attributes';
import { requireTool } from '../helpers/tools';
import { until } from '../helpers/wait';

jest.setTimeout(180_000);

const BUCKET = 'batch-workflows';
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const PRICES = { [MODEL]: { inputPer1k: 1, outputPer1k: 2, batchInputPer1k: 0.5, batchOutputPer1k: 1 } };

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let outputDir: string;
let moto: S3Server;
let s3: S3Client;
let standIn: BedrockBatchStandIn;
let bedrock: BedrockClient;
/** On-demand calls through the (fake) LLM REST service. */
const onDemand: GenerateRequestBody[] = [];

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  outputDir = await mkdtemp(path.join(tmpdir(), 'cloud-batch-workflow-'));
  [env, workflowBundle, moto] = await Promise.all([
    // The dev server: the time-skipping test server does not handle signals between workflows well.
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: requireTool('temporal') },
        ip: '127.0.0.1',
        searchAttributes: CONVERSATION_SEARCH_ATTRIBUTES,
      },
    }),
    bundleWorkflowCode({ ...workflowBundling, logger: new DefaultLogger('WARN') }),
    S3Server.start(),
  ]);
  await moto.createBucket(BUCKET);
  s3 = moto.client();
  standIn = await BedrockBatchStandIn.start({ s3, provider: new EchoProvider(), minRecords: 1 });
  bedrock = standIn.client();
}, 300_000);

afterAll(async () => {
  bedrock?.destroy();
  await standIn?.stop();
  s3?.destroy();
  await moto?.stop();
  await env?.teardown();
  await rm(outputDir, { recursive: true, force: true });
});

afterEach(() => standIn.faults.clear());

const llm: LlmServiceClient = {
  generate: async (request: GenerateRequestBody): Promise<GenerateResponseBody> => {
    onDemand.push(request);
    const last = request.messages?.at(-1)?.content ?? '';
    return {
      response: `on demand: ${last}`,
      model: MODEL,
      stopReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 2 },
      latencyMs: 1,
      requestId: `od-${onDemand.length}`,
    };
  },
};

let questions = 0;
const ollama = ollamaClient({
  chat: async (request) => ({
    model: request.model,
    message: { role: 'assistant', content: `Question ${++questions}?` },
    prompt_eval_count: 5,
    eval_count: 2,
  }),
});

interface BatchRun {
  results: PromiseSettledResult<ConversationResult>[];
  stats: CloudBatchStats;
  campaignId: string;
  conversations: WorkflowHandle[];
}

/**
 * `n` conversations of a campaign of their own and its batcher, on a worker with the real batch activities;
 * `during` runs once they have started.
 */
async function runBatch(
  n: number,
  cloudBatch: Partial<CloudBatch>,
  {
    maxTurns = 1,
    during,
  }: {
    maxTurns?: number;
    during?: (run: Omit<BatchRun, 'results' | 'stats'> & { batcher: WorkflowHandle }) => Promise<void>;
  } = {},
): Promise<BatchRun> {
  const campaignId = `batch-${randomUUID().slice(0, 8)}`;
  const taskQueue = `cloud-batch-${campaignId}`;
  const spec: CloudBatch = {
    roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
    inputS3Uri: `s3://${BUCKET}/in`,
    outputS3Uri: `s3://${BUCKET}/out`,
    // The settle time outlasts a slow start of the conversations on a loaded machine (else a short job goes on
    // demand); the stand-in's jobs take milliseconds, so the shortest polls the spec allows.
    settleSeconds: 2,
    pollSeconds: 1,
    maxPollSeconds: 1,
    ...cloudBatch,
  };
  const jobs = createBatchJobs({ bedrock, s3 });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: {
      ...createActivities({
        llmService: { client: llm, maxTokens: 100, prices: PRICES },
        ollama: { client: ollama, model: 'fake-local', maxTokens: 50 },
        output: { store: new LocalStore(outputDir) },
        cloudBatch: { jobs, defaultModelId: MODEL, maxTokens: 100, prices: PRICES },
      }),
      ...makeCloudBatchJobActivities(jobs),
    },
  });
  return worker.runUntil(async () => {
    const campaignWorkflowId = `campaign-${campaignId}`;
    const route: CloudBatchRoute = {
      batcherWorkflowId: cloudBatchWorkflowId(campaignWorkflowId),
      campaignId,
      inputS3Uri: spec.inputS3Uri,
      outputS3Uri: spec.outputS3Uri,
    };
    const batcherInput: CloudBatchInput = { campaignId, cloudBatch: spec };
    const batcher = await env.client.workflow.start(CLOUD_BATCH_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: route.batcherWorkflowId,
      args: [batcherInput],
    });
    const conversations = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const conversationId = `${campaignWorkflowId}-${String(i).padStart(12, '0')}`;
        const input: ConversationInput = { initialQuery: `Seed ${i}`, maxTurns, conversationId };
        return env.client.workflow.start(WORKFLOW_TYPE, {
          taskQueue,
          workflowId: conversationId,
          args: [input, undefined, route],
        });
      }),
    );
    await during?.({ campaignId, conversations, batcher });
    const results = await Promise.allSettled(
      conversations.map((c) => c.result() as Promise<ConversationResult>),
    );
    // A cancel in `during` has ended the batcher already.
    await batcher.signal(finishCloudBatchSignal, {}).catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
    const stats = (await batcher.result()) as CloudBatchStats;
    return { results, stats, campaignId, conversations };
  });
}

function fulfilled(run: BatchRun): ConversationResult[] {
  return run.results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}

async function jobsOf(campaignId: string) {
  const listed = await bedrock.send(
    new ListModelInvocationJobsCommand({ nameContains: campaignId, sortOrder: 'Ascending' }),
  );
  return listed.invocationJobSummaries ?? [];
}

test('every conversation’s turn k goes into one Converse job, priced at the batch price', async () => {
  const before = onDemand.length;
  const run = await runBatch(4, { minRecords: 4 }, { maxTurns: 2 });
  const results = fulfilled(run);
  expect(results.map((r) => [r.endReason, r.completedTurns])).toEqual(results.map(() => ['max_turns', 2]));
  for (const result of results) {
    expect(result.turns[0]!.cloudResponse).toBe(`echo: ${result.turns[0]!.query}`);
    expect(result.turns.map((t) => t.cloudMode)).toEqual(['batch', 'batch']);
    // The echo model reports 3 input and 2 output tokens: 0.0035 USD at the batch price, 0.007 on demand.
    expect(result.turns[0]!.cloudCost).toEqual({ costUsd: 0.0035, priced: true });
    expect(result.turns[0]!.cloudOnDemandCostUsd).toBeCloseTo(0.007);
    expect(result.batchTurns).toBe(2);
    expect(result.onDemandCostUsd).toBeGreaterThan(result.costUsd!);
  }
  expect(onDemand.length).toBe(before);
  const jobs = await jobsOf(run.campaignId);
  expect(jobs.map((j) => [j.status, j.totalRecordCount, j.modelInvocationType])).toEqual([
    ['Completed', 4, 'Converse'],
    ['Completed', 4, 'Converse'],
  ]);
  expect(new Set(jobs.map((j) => j.clientRequestToken)).size).toBe(2);
  expect(run.stats).toMatchObject({ jobs: 2, answered: 8, onDemand: 0, resubmitted: 0 });
  // The CSV is the on-demand one: same columns, the turn's text.
  const csv = await readFile(results[0]!.csvPath, 'utf8');
  expect(csv).toContain('echo: Seed 0');
});

test('polls a job on the spec’s waits: pollSeconds first, then doubling, capped at maxPollSeconds', async () => {
  await standIn.inject({ jobs: [{ delayMs: 9_000 }] });
  const run = await runBatch(2, { minRecords: 2, pollSeconds: 1, maxPollSeconds: 2 });
  expect(fulfilled(run).map((r) => r.turns[0]!.cloudMode)).toEqual(['batch', 'batch']);
  const history = await env.client.workflow
    .getHandle(cloudBatchWorkflowId(`campaign-${run.campaignId}`))
    .fetchHistory();
  const scheduled = (activity: string) =>
    (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)
      .map((e) => Number(e.eventTime?.seconds?.toString() ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6);
  const [submitted] = scheduled('submitBatchJob');
  const polls = scheduled('describeBatchJob');
  const gaps = polls.map((t, i) => t - (i === 0 ? submitted! : polls[i - 1]!));
  // 1 s, then 2 s each time (doubling alone would wait 4 s, then 8 s); a durable timer never fires early.
  expect(gaps.length).toBeGreaterThanOrEqual(4);
  expect(gaps[0]).toBeGreaterThanOrEqual(1_000);
  for (const gap of gaps.slice(1)) {
    expect(gap).toBeGreaterThanOrEqual(2_000);
    expect(gap).toBeLessThan(3_900);
  }
});

test('fewer waiting requests than minRecords go on demand', async () => {
  const before = onDemand.length;
  const run = await runBatch(2, { minRecords: 5 });
  const results = fulfilled(run);
  expect(results.map((r) => r.turns[0]!.cloudMode)).toEqual(['on_demand', 'on_demand']);
  expect(results.map((r) => r.turns[0]!.cloudResponse).sort()).toEqual([
    'on demand: Seed 0',
    'on demand: Seed 1',
  ]);
  expect(onDemand.length - before).toBe(2);
  expect(await jobsOf(run.campaignId)).toEqual([]);
  expect(run.stats).toMatchObject({ jobs: 0, onDemand: 2 });
});

test('a PartiallyCompleted job: only the unanswered records go again, the answers are kept', async () => {
  await standIn.inject({ jobs: [{ outcome: 'PartiallyCompleted', answered: 2 }] });
  const run = await runBatch(4, { minRecords: 2 });
  const results = fulfilled(run);
  expect(results.map((r) => r.turns[0]!.cloudMode)).toEqual(results.map(() => 'batch'));
  const jobs = await jobsOf(run.campaignId);
  expect(jobs.map((j) => [j.status, j.totalRecordCount])).toEqual([
    ['PartiallyCompleted', 4],
    ['Completed', 2],
  ]);
  expect(run.stats).toMatchObject({ jobs: 2, answered: 4, resubmitted: 2, onDemand: 0 });
});

test('an Expired job is sent again as a new job', async () => {
  await standIn.inject({ jobs: [{ outcome: 'Expired' }] });
  const run = await runBatch(3, { minRecords: 3 });
  expect(fulfilled(run).map((r) => r.turns[0]!.cloudMode)).toEqual(['batch', 'batch', 'batch']);
  const jobs = await jobsOf(run.campaignId);
  expect(jobs.map((j) => [j.status, j.totalRecordCount])).toEqual([
    ['Expired', 3],
    ['Completed', 3],
  ]);
  expect(jobs[0]!.clientRequestToken).not.toBe(jobs[1]!.clientRequestToken);
});

test('a record with a retryable error line is retried in the next job; a refused one fails its turn', async () => {
  await standIn.inject({ jobs: [{ errorRecords: 1, errorCode: 503 }] });
  const retried = await runBatch(3, { minRecords: 1 });
  expect(fulfilled(retried).map((r) => r.turns[0]!.cloudMode)).toEqual(['batch', 'batch', 'batch']);
  expect((await jobsOf(retried.campaignId)).map((j) => [j.totalRecordCount, j.errorRecordCount])).toEqual([
    [3, 1],
    [1, 0],
  ]);

  await standIn.inject({ jobs: [{ errorRecords: 1, errorCode: 400, message: 'Malformed input request' }] });
  const refused = await runBatch(2, { minRecords: 1 });
  const results = fulfilled(refused);
  const failed = results.filter((r) => r.endReason === 'error');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ completedTurns: 0, error: { type: 'CloudRequestRejected' } });
  expect(failed[0]!.error!.message).toContain('Malformed input request');
  expect(results.find((r) => r !== failed[0])).toMatchObject({ endReason: 'max_turns', completedTurns: 1 });
  expect(refused.stats).toMatchObject({ failed: 1, answered: 1 });
});

test('cancel: the job in flight is stopped (StopModelInvocationJob), the conversations export their turns', async () => {
  // The second turn's job waits long enough to be cancelled.
  await standIn.inject({ jobs: [{}, { delayMs: 600_000 }] });
  const run = await runBatch(
    2,
    { minRecords: 2 },
    {
      maxTurns: 3,
      during: async ({ campaignId, conversations, batcher }) => {
        await until(
          () => jobsOf(campaignId),
          (jobs) => jobs.length === 2 && jobs[1]!.status === 'Scheduled',
          { timeoutMs: 60_000, what: 'the second job waiting to run' },
        );
        await batcher.signal(finishCloudBatchSignal, { cancel: true });
        await Promise.all(conversations.map((c) => c.cancel()));
      },
    },
  );
  expect(run.results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  const jobs = await jobsOf(run.campaignId);
  expect(jobs.map((j) => j.status)).toEqual(['Completed', 'Stopped']);
  const stops = (await standIn.requests()).filter(
    (r) =>
      r.operation === 'StopModelInvocationJob' &&
      decodeURIComponent(r.path).includes(jobs[1]!.jobArn!.split('/').at(-1)!),
  );
  expect(stops).toHaveLength(1);
  // Each conversation exported the turn it had.
  for (const conversation of run.conversations) {
    const jsonl = await readFile(path.join(outputDir, `${conversation.workflowId}.jsonl`), 'utf8');
    expect(JSON.parse(jsonl)).toMatchObject({ endReason: 'cancelled' });
  }
});

test('a job stopped from outside ends its conversations as cancelled, their turns exported', async () => {
  await standIn.inject({ jobs: [{}, { delayMs: 600_000 }] });
  const run = await runBatch(
    2,
    { minRecords: 2 },
    {
      maxTurns: 3,
      during: async ({ campaignId }) => {
        const jobs = await until(
          () => jobsOf(campaignId),
          (listed) => listed.length === 2 && listed[1]!.status === 'Scheduled',
          { timeoutMs: 60_000, what: 'the second job waiting to run' },
        );
        // A user stops it (the console, the CLI): not the campaign.
        await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobs[1]!.jobArn }));
      },
    },
  );
  const results = fulfilled(run);
  expect(results.map((r) => [r.endReason, r.completedTurns])).toEqual([
    ['cancelled', 1],
    ['cancelled', 1],
  ]);
  const csv = await readFile(results[0]!.csvPath, 'utf8');
  expect(csv.trimEnd().split('\r\n')).toHaveLength(2);
  expect(run.stats).toMatchObject({ jobs: 2, answered: 2, stopped: 2 });
});

test('a job Bedrock refuses sends its turns on demand rather than leaving them waiting', async () => {
  await standIn.inject({
    requests: [{ operation: 'CreateModelInvocationJob', error: 'AccessDeniedException' }],
  });
  const before = onDemand.length;
  const run = await runBatch(2, { minRecords: 2 });
  expect(fulfilled(run).map((r) => r.turns[0]!.cloudMode)).toEqual(['on_demand', 'on_demand']);
  expect(onDemand.length - before).toBe(2);
  expect(run.stats).toMatchObject({ jobs: 0, onDemand: 2 });
});

test('every Bedrock request was valid against botocore’s bedrock model', async () => {
  const model = loadServiceModel('bedrock');
  const requests = await standIn.requests();
  expect(requests.length).toBeGreaterThan(10);
  expect(requests.flatMap((r) => requestProblems(model, r))).toEqual([]);
});

test('every S3 request was valid against botocore’s s3 model: the activities’ and the stand-in’s', () => {
  const requests = moto.requests();
  expect(s3Operations(requests)).toEqual(
    new Set(['CreateBucket', 'PutObject', 'GetObject', 'ListObjectsV2']),
  );
  expect(s3Problems(requests)).toEqual([]);
});
