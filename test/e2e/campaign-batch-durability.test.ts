/**
 * A 120-item, 3-turn batch campaign on the real Temporal dev server and worker process, with the local Bedrock batch
 * stand-in and moto: the worker is SIGKILLed while the first job waits to run, and the Temporal server restarted
 * while the second does. Every item still ends exactly once, and there is exactly one job per turn: no job for the
 * same content twice.
 */
import { ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { CAMPAIGN_WORKFLOW_TYPE } from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { cloudBatchWorkflowId } from '../../src/contracts/cloud-batch';
import { BedrockBatchStandIn } from '../fixtures/bedrock-batch-stand-in';
import { S3Server } from '../fixtures/s3-server';
import { until } from '../helpers/wait';
import { withWorkerComponents } from '../helpers/worker-components';

const BUCKET = 'campaign-batch-durability';
const ITEMS = 120;
const TURNS = 3;
const CAMPAIGN = 'batch-durability';

let moto: S3Server;
let standIn: BedrockBatchStandIn;
const env: Record<string, string> = {};

beforeAll(async () => {
  moto = await S3Server.start();
  await moto.createBucket(BUCKET);
  standIn = await BedrockBatchStandIn.start({ s3: moto.client(), minRecords: ITEMS, concurrency: 16 });
  Object.assign(env, moto.env, { AWS_ENDPOINT_URL_BEDROCK: standIn.endpoint });
}, 120_000);

const stack = withWorkerComponents({ llmLatencyMs: 10, ollama: { latencyMs: 10 }, env });

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
  const spec: CampaignSpec = {
    campaignId: CAMPAIGN,
    seeds: Array.from({ length: ITEMS }, (_, i) => `Durable batch seed ${i}`),
    pairs: [{}],
    maxTurns: TURNS,
    concurrency: ITEMS,
    novelty: false,
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
}, 900_000);
