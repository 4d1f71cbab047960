/**
 * A batch campaign on the real Temporal dev server and the real worker process: the worker reaches the local
 * Bedrock batch stand-in and a real S3 API server (moto) through the AWS SDK's standard variables, as `npm start`
 * would point it; the campaign starts its batcher, each turn of its conversations goes into one Converse job, and the
 * totals say what it cost and what it would have cost on demand. Every Bedrock and S3 request is valid against
 * botocore's models.
 */
import { ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { CAMPAIGN_WORKFLOW_TYPE } from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { cloudBatchWorkflowId } from '../../src/contracts/batcher';
import { BedrockBatchStandIn } from '../fixtures/bedrock-batch-stand-in';
import { S3Server } from '../fixtures/s3-server';
import { loadServiceModel, requestProblems } from '../helpers/botocore';
import { s3Operations, s3Problems } from '../helpers/botocore-s3';
import { withWorkerComponents } from '../helpers/worker-components';

const BUCKET = 'campaign-batch';
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const ITEMS = 6;

let moto: S3Server;
let standIn: BedrockBatchStandIn;
/** Filled before the stack starts (this beforeAll runs first): the worker's AWS endpoints and prices. */
const env: Record<string, string> = {};

beforeAll(async () => {
  moto = await S3Server.start();
  await moto.createBucket(BUCKET);
  standIn = await BedrockBatchStandIn.start({ s3: moto.client(), minRecords: ITEMS });
  const prices = path.join(mkdtempSync(path.join(tmpdir(), 'batch-prices-')), 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({ [MODEL]: { inputPer1k: 1, outputPer1k: 2, batchInputPer1k: 0.5, batchOutputPer1k: 1 } }),
  );
  Object.assign(env, moto.env, {
    AWS_ENDPOINT_URL_BEDROCK: standIn.endpoint,
    BEDROCK_MODEL_ID: MODEL,
    MODEL_PRICES_FILE: prices,
  });
}, 120_000);

const stack = withWorkerComponents({ llmLatencyMs: 10, ollama: { latencyMs: 10 }, env });

afterAll(async () => {
  await standIn?.stop();
  await moto?.stop();
});

test('a batch campaign: every conversation’s turn in one Converse job per turn, priced at the batch price', async () => {
  const spec: CampaignSpec = {
    campaignId: 'batch-e2e',
    seeds: Array.from({ length: ITEMS }, (_, i) => `Batch seed question number ${i}`),
    pairs: [{}],
    maxTurns: 2,
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
    workflowId: 'campaign-batch-e2e',
    args: [spec],
  });
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'completed', counts: { completed: ITEMS, failed: 0 } });
  expect(result.totals.batchTurns).toBe(ITEMS * 2);
  expect(result.totals.onDemandCostUsd).toBeCloseTo(result.totals.costUsd * 2, 6);
  expect(stack.llm.calls).toBe(0);

  const bedrock = standIn.client();
  const jobs = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'batch-e2e' }));
  bedrock.destroy();
  expect((jobs.invocationJobSummaries ?? []).map((j) => [j.status, j.totalRecordCount])).toEqual([
    ['Completed', ITEMS],
    ['Completed', ITEMS],
  ]);
  const batcher = await stack.client.workflow.getHandle(cloudBatchWorkflowId('campaign-batch-e2e')).result();
  expect(batcher).toMatchObject({ jobs: 2, answered: ITEMS * 2, onDemand: 0 });
  // The dataset card and the report say what it cost and what it would have cost on demand.
  const folder = path.join(stack.outputDir, 'campaigns', 'batch-e2e');
  const card = readFileSync(path.join(folder, 'README.md'), 'utf8');
  expect(card).toContain(
    `Batch mode: ${ITEMS * 2} of ${ITEMS * 2} cloud turns answered in Bedrock batch jobs`,
  );
  expect(readFileSync(path.join(folder, 'report.html'), 'utf8')).toContain('on demand it would cost (USD)');
  const model = loadServiceModel('bedrock');
  expect((await standIn.requests()).flatMap((r) => requestProblems(model, r))).toEqual([]);
  // The worker process's S3 requests (staged turns, job inputs, answers) and the stand-in's, against the s3 model.
  const requests = moto.requests();
  expect(s3Operations(requests)).toEqual(
    new Set(['CreateBucket', 'PutObject', 'GetObject', 'ListObjectsV2']),
  );
  expect(s3Problems(requests)).toEqual([]);
}, 300_000);
