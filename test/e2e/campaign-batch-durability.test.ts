/**
 * A 120-item, 3-turn batch campaign on the real Temporal dev server and worker process, with the local Bedrock batch
 * stand-in and moto: the worker is SIGKILLed while the first job waits to run, and the Temporal server restarted
 * while the second does. Every item still ends exactly once, there is exactly one job per turn (no job for the
 * same content twice), and the dataset equals in content the one the same campaign writes on demand, with the same
 * deterministic models (the fake cloud model answers a batch record and an on-demand call alike). Every S3 request
 * is valid against botocore's `s3` model.
 */
import { ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock';
import path from 'node:path';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { CAMPAIGN_WORKFLOW_TYPE } from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { cloudBatchWorkflowId } from '../../src/contracts/batcher';
import { BedrockBatchStandIn } from '../fixtures/bedrock-batch-stand-in';
import { FakeCloudProvider } from '../fixtures/fake-cloud';
import { S3Server } from '../fixtures/s3-server';
import { s3Operations, s3Problems } from '../helpers/botocore-s3';
import { cloudModes, datasetContent } from '../helpers/dataset-content';
import { until } from '../helpers/wait';
import { withWorkerComponents } from '../helpers/worker-components';
import { hashedQuestion } from '../fixtures/ollama-server';

const BUCKET = 'campaign-batch-durability';
const ITEMS = 120;
const TURNS = 3;
const CAMPAIGN = 'batch-durability';
const ON_DEMAND = 'on-demand-twin';
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

let moto: S3Server;
let standIn: BedrockBatchStandIn;
const env: Record<string, string> = {};

beforeAll(async () => {
  moto = await S3Server.start();
  await moto.createBucket(BUCKET);
  standIn = await BedrockBatchStandIn.start({
    s3: moto.client(),
    provider: new FakeCloudProvider(),
    minRecords: ITEMS,
    concurrency: 16,
  });
  Object.assign(env, moto.env, { AWS_ENDPOINT_URL_BEDROCK: standIn.endpoint });
}, 120_000);

const stack = withWorkerComponents({
  llmLatencyMs: 10,
  // A question that depends only on the answer it follows, so both runs ask the same.
  ollama: {
    latencyMs: 10,
    reply: hashedQuestion,
  },
  env,
});

afterAll(async () => {
  await standIn?.stop();
  await moto?.stop();
});

async function jobs() {
  const bedrock = standIn.client();
  try {
    const listed = await bedrock.send(
      new ListModelInvocationJobsCommand({ nameContains: CAMPAIGN, sortOrder: 'Ascending' }),
    );
    return listed.invocationJobSummaries ?? [];
  } finally {
    bedrock.destroy();
  }
}

test('survives a worker SIGKILL and a Temporal restart mid-job: every item once, one job per turn', async () => {
  // Each job waits 10 s before it runs: long enough to crash things while it does.
  await standIn.inject({ jobs: Array.from({ length: TURNS }, () => ({ delayMs: 10_000 })) });
  const onDemandSpec: CampaignSpec = {
    campaignId: ON_DEMAND,
    seeds: Array.from({ length: ITEMS }, (_, i) => `Durable batch seed ${i}`),
    pairs: [{ cloud: { model: MODEL } }],
    maxTurns: TURNS,
    concurrency: ITEMS,
    novelty: false,
  };
  const spec: CampaignSpec = {
    ...onDemandSpec,
    campaignId: CAMPAIGN,
    cloudBatch: {
      roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
      inputS3Uri: `s3://${BUCKET}/in`,
      outputS3Uri: `s3://${BUCKET}/out`,
      minRecords: ITEMS,
    },
  };
  const handle = await stack.client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: stack.components.env.TEMPORAL_TASK_QUEUE ?? 'llm-conversations',
    workflowId: `campaign-${CAMPAIGN}`,
    args: [spec],
  });

  await until(jobs, (listed) => listed.length === 1 && listed[0]!.status === 'Scheduled', {
    timeoutMs: 240_000,
    intervalMs: 200,
    what: 'the first job waiting to run',
  });
  await stack.components.stop('worker', { signal: 'SIGKILL' });
  await stack.components.start('worker', 'worker-restarted');

  await until(jobs, (listed) => listed.length === 2 && listed[1]!.status === 'Scheduled', {
    timeoutMs: 240_000,
    intervalMs: 200,
    what: 'the second job waiting to run',
  });
  await stack.components.stop('temporal');
  await stack.components.start('temporal', 'temporal-restarted');

  const result = await handle.result();
  expect(result).toMatchObject({ status: 'completed', counts: { completed: ITEMS, failed: 0, skipped: 0 } });
  expect(result.totals.batchTurns).toBe(ITEMS * TURNS);
  expect(stack.llm.calls).toBe(0);

  const listed = await jobs();
  expect(listed.map((j) => [j.status, j.totalRecordCount])).toEqual(
    Array.from({ length: TURNS }, () => ['Completed', ITEMS]),
  );
  expect(new Set(listed.map((j) => j.clientRequestToken)).size).toBe(TURNS);
  const batcher = await stack.client.workflow
    .getHandle(cloudBatchWorkflowId(`campaign-${CAMPAIGN}`))
    .result();
  expect(batcher).toMatchObject({ jobs: TURNS, answered: ITEMS * TURNS, onDemand: 0, resubmitted: 0 });
  // Each conversation ran once: one workflow per item, all completed.
  let conversations = 0;
  for await (const w of stack.client.workflow.list({ query: `CampaignId = '${CAMPAIGN}'` })) {
    expect(w.status.name).toBe('COMPLETED');
    conversations += 1;
  }
  expect(conversations).toBe(ITEMS);

  // The same campaign on demand, with the same models: the same dataset but for when, how fast and at what price.
  const onDemand = await stack.client.workflow.execute<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: stack.components.env.TEMPORAL_TASK_QUEUE ?? 'llm-conversations',
    workflowId: `campaign-${ON_DEMAND}`,
    args: [onDemandSpec],
  });
  expect(onDemand).toMatchObject({ status: 'completed', counts: { completed: ITEMS, failed: 0 } });
  expect(stack.llm.calls).toBe(ITEMS * TURNS);
  const folder = (id: string) => path.join(stack.outputDir, 'campaigns', id);
  expect(cloudModes(folder(CAMPAIGN))).toEqual(Array.from({ length: ITEMS * TURNS }, () => 'batch'));
  expect(cloudModes(folder(ON_DEMAND))).toEqual(Array.from({ length: ITEMS * TURNS }, () => undefined));
  const batchContent = datasetContent(folder(CAMPAIGN));
  expect(Object.keys(batchContent)).toHaveLength(ITEMS);
  expect(Object.values(batchContent).map((c) => c.csv.length)).toEqual(
    Array.from({ length: ITEMS }, () => TURNS),
  );
  const seed0 = Object.values(batchContent).find((c) => c.csv[0]!.query === 'Durable batch seed 0');
  expect(seed0?.csv[0]).toMatchObject({
    cloud_response: expect.stringMatching(/^Answer [0-9a-f]{8}: a fixed reply to "Durable batch seed 0"\.$/),
    ollama_response: expect.stringMatching(/^Why [0-9a-f]{8}\?$/),
    cloud_model: MODEL,
  });
  expect(batchContent).toEqual(datasetContent(folder(ON_DEMAND)));

  // Every S3 request of the worker (before and after its SIGKILL) and of the stand-in, against botocore's s3 model.
  const requests = moto.requests();
  expect(s3Operations(requests)).toEqual(
    new Set(['CreateBucket', 'PutObject', 'GetObject', 'ListObjectsV2']),
  );
  expect(s3Problems(requests)).toEqual([]);
}, 900_000);
