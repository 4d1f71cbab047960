/**
 * Batch mode's activity-side building blocks (src/models/bedrock-batch/jobs.ts) on the real @aws-sdk/client-bedrock and
 * @aws-sdk/client-s3, against the local Bedrock batch stand-in and a real S3 API server (moto): staged requests
 * become one Converse job, a retried submission finds the same job, answers join back to their turns by recordId,
 * partial and failed records come back as such. Every Bedrock and S3 request is checked against botocore's models.
 */
import { ListModelInvocationJobsCommand, type BedrockClient } from '@aws-sdk/client-bedrock';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createBedrockClient, createBedrockProvider } from '../../lambda/providers/bedrock';
import { batchLayout, jobInputLocation, type TurnRef } from '../../src/models/bedrock-batch/layout';
import { createBatchJobs, type BatchJobs, type JobState } from '../../src/models/bedrock-batch/jobs';
import { isBatchServiceError } from '../../src/models/bedrock-batch/errors';
import { converseRequestBody, type ChatRequest } from '../../src/models/converse-request';
import { BedrockBatchStandIn, EchoProvider } from '../fixtures/bedrock-batch-stand-in';
import { FakeBedrock } from '../fixtures/bedrock-server';
import { S3Server } from '../fixtures/s3-server';
import { loadServiceModel, requestProblems } from '../helpers/botocore';
import { s3Operations, s3Problems } from '../helpers/botocore-s3';
import { until } from '../helpers/wait';

const BUCKET = 'batch-jobs';
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const cloudBatch = {
  roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
  inputS3Uri: `s3://${BUCKET}/in`,
  outputS3Uri: `s3://${BUCKET}/out`,
};

let moto: S3Server;
let s3: S3Client;
let standIn: BedrockBatchStandIn;
let echo: EchoProvider;
let bedrock: BedrockClient;
let batch: BatchJobs;
let campaignCounter = 0;

beforeAll(async () => {
  moto = await S3Server.start();
  await moto.createBucket(BUCKET);
  s3 = moto.client();
  echo = new EchoProvider();
  standIn = await BedrockBatchStandIn.start({ s3, provider: echo, minRecords: 2 });
  bedrock = standIn.client();
  batch = createBatchJobs({ bedrock, s3 });
}, 90_000);

afterAll(async () => {
  bedrock?.destroy();
  await standIn?.stop();
  s3?.destroy();
  await moto?.stop();
});

afterEach(() => standIn.faults.clear());

function chat(i: number): ChatRequest {
  return {
    messages: [
      { role: 'user', content: `seed question ${i}` },
      { role: 'assistant', content: `an answer ${i}` },
      { role: 'user', content: `follow-up ${i}` },
    ],
    system: 'Answer in one sentence.',
    maxTokens: 120,
    temperature: 0.3,
  };
}

/** A campaign of its own (its own S3 folders) with `n` staged turns. */
async function stagedCampaign(n: number) {
  const campaignId = `jobs-test-${++campaignCounter}`;
  const layout = batchLayout(cloudBatch, campaignId);
  const turns: TurnRef[] = Array.from({ length: n }, (_, i) => ({
    conversationId: `campaign-${campaignId}-${String(i).padStart(12, '0')}`,
    turn: 1 + (i % 3),
  }));
  await Promise.all(
    turns.map((turn, i) =>
      batch.stageRequest(layout, turn, { modelId: MODEL, modelInput: converseRequestBody(chat(i)) }),
    ),
  );
  const submit = (submission = 0) =>
    batch.submitJob({ layout, campaignId, modelId: MODEL, roleArn: cloudBatch.roleArn, turns, submission });
  return { campaignId, layout, turns, submit };
}

function ended(jobArn: string): Promise<JobState> {
  return until(
    () => batch.describeJob(jobArn),
    (state) => state.ended,
    { timeoutMs: 20_000, what: `job ${jobArn} ending` },
  );
}

async function objectText(bucket: string, key: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToString('utf8');
}

it('sends staged turns as one Converse job and joins every answer back to its turn', async () => {
  const { layout, turns, submit } = await stagedCampaign(5);
  const job = await submit();
  expect(job.records).toBe(5);
  expect(await ended(job.jobArn)).toMatchObject({
    status: 'Completed',
    successRecordCount: 5,
    errorRecordCount: 0,
  });

  const collected = await batch.collectJob({ layout, jobArn: job.jobArn, modelId: MODEL, turns });
  expect(collected.outcomes).toEqual(
    turns.map(() => ({ kind: 'answered', inputTokens: 3, outputTokens: 2 })),
  );
  expect(collected.manifest).toMatchObject({ totalRecordCount: 5, successRecordCount: 5 });
  for (const [i, turn] of turns.entries()) {
    expect(await batch.readAnswer(layout, turn)).toEqual({
      text: `echo: follow-up ${i}`,
      stopReason: 'end_turn',
      inputTokens: 3,
      outputTokens: 2,
      modelId: MODEL,
      jobArn: job.jobArn,
      recordId: `R${String(i).padStart(10, '0')}`,
    });
  }
  // The model saw each turn's whole window, system prompt and settings.
  expect(echo.calls.find((c) => c.messages.at(-1)!.content === 'follow-up 3')).toEqual({ ...chat(3) });
});

it('puts in modelInput the Converse request the on-demand path sends', async () => {
  const { layout, turns, submit } = await stagedCampaign(2);
  const job = await submit();
  const jsonl = await objectText(layout.input.bucket, jobInputLocation(layout, job.jobName).key);
  const records = jsonl
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { recordId: string; modelInput: unknown });
  expect(records.map((r) => r.recordId)).toEqual(['R0000000000', 'R0000000001']);

  // The Lambda's Bedrock provider, asked the same thing on demand, sends this body to Converse.
  const onDemand = new FakeBedrock();
  const endpoint = await onDemand.start();
  try {
    const client = createBedrockClient({
      region: 'us-east-1',
      timeoutMs: 2_000,
      maxAttempts: 1,
      endpoint,
      credentials: { accessKeyId: 'AKIDLOCALLOCAL', secretAccessKey: 'local-secret' },
    });
    await createBedrockProvider({ client, modelId: MODEL }).generate(chat(1));
    expect(onDemand.calls[0]!.modelId).toBe(MODEL);
    expect(records[1]!.modelInput).toEqual(onDemand.calls[0]!.body);
  } finally {
    await onDemand.stop();
  }
  expect(turns).toHaveLength(2);
});

it('finds the same job when a submission is retried, and makes a new one for a later submission', async () => {
  const { submit, campaignId } = await stagedCampaign(3);
  const first = await submit();
  const retried = await submit();
  expect(retried).toEqual(first);
  const resubmitted = await submit(1);
  expect(resubmitted.jobArn).not.toBe(first.jobArn);
  expect(resubmitted.clientRequestToken).not.toBe(first.clientRequestToken);
  const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: campaignId }));
  expect(listed.invocationJobSummaries?.map((j) => j.jobArn).sort()).toEqual(
    [first.jobArn, resubmitted.jobArn].sort(),
  );
});

it('reports the turns a PartiallyCompleted job left unanswered as missing', async () => {
  await standIn.inject({ jobs: [{ outcome: 'PartiallyCompleted', answered: 2 }] });
  const { layout, turns, submit } = await stagedCampaign(5);
  const job = await submit();
  expect((await ended(job.jobArn)).status).toBe('PartiallyCompleted');
  const { outcomes } = await batch.collectJob({ layout, jobArn: job.jobArn, modelId: MODEL, turns });
  expect(outcomes.filter((o) => o.kind === 'answered')).toHaveLength(2);
  expect(outcomes.filter((o) => o.kind === 'missing')).toHaveLength(3);
});

it('reports every turn of an Expired job as missing', async () => {
  await standIn.inject({ jobs: [{ outcome: 'Expired' }] });
  const { layout, turns, submit } = await stagedCampaign(3);
  const job = await submit();
  expect((await ended(job.jobArn)).status).toBe('Expired');
  const collected = await batch.collectJob({ layout, jobArn: job.jobArn, modelId: MODEL, turns });
  expect(collected).toEqual({ outcomes: turns.map(() => ({ kind: 'missing' })), unreadable: 0 });
});

it('reports record errors with their code and whether to retry them', async () => {
  await standIn.inject({ jobs: [{ errorRecords: 1, errorCode: 503 }] });
  const { layout, turns, submit } = await stagedCampaign(3);
  const job = await submit();
  await ended(job.jobArn);
  const { outcomes } = await batch.collectJob({ layout, jobArn: job.jobArn, modelId: MODEL, turns });
  expect(outcomes[0]).toEqual({
    kind: 'error',
    errorCode: 503,
    errorMessage: 'Injected record failure',
    retryable: true,
  });
  expect(outcomes.slice(1).map((o) => o.kind)).toEqual(['answered', 'answered']);
});

it('stops a job in flight once, and says so when it has already ended', async () => {
  await standIn.inject({ jobs: [{ delayMs: 60_000 }] });
  const { submit } = await stagedCampaign(2);
  const job = await submit();
  await until(
    () => batch.describeJob(job.jobArn),
    (s) => s.status === 'Scheduled',
  );
  expect(await batch.stopJob(job.jobArn)).toBe('stopping');
  expect((await ended(job.jobArn)).status).toBe('Stopped');
  expect(await batch.stopJob(job.jobArn)).toBe('ended');
});

it('classifies service errors: throttling is retried, a refused request is not', async () => {
  const { submit } = await stagedCampaign(2);
  await standIn.inject({
    requests: [{ operation: 'CreateModelInvocationJob', error: 'ThrottlingException' }],
  });
  const throttled = await submit().catch((e: unknown) => e);
  expect(isBatchServiceError(throttled) && throttled).toMatchObject({
    code: 'ThrottlingException',
    retryable: true,
  });
  await standIn.inject({
    requests: [{ operation: 'CreateModelInvocationJob', error: 'AccessDeniedException' }],
  });
  const denied = await submit().catch((e: unknown) => e);
  expect(isBatchServiceError(denied) && denied).toMatchObject({
    code: 'AccessDeniedException',
    retryable: false,
  });
  const missing = await batch
    .readAnswer(batchLayout(cloudBatch, 'nobody'), { conversationId: 'c', turn: 1 })
    .catch((e: unknown) => e);
  expect(isBatchServiceError(missing) && missing).toMatchObject({ code: 'NoSuchKey', retryable: false });
});

it('sent only requests valid against botocore’s bedrock model', async () => {
  const model = loadServiceModel('bedrock');
  const requests = await standIn.requests();
  expect(new Set(requests.map((r) => r.operation))).toEqual(
    new Set([
      'CreateModelInvocationJob',
      'GetModelInvocationJob',
      'StopModelInvocationJob',
      'ListModelInvocationJobs',
    ]),
  );
  expect(requests.flatMap((r) => requestProblems(model, r))).toEqual([]);
});

it('sent only S3 requests valid against botocore’s s3 model, its own and the stand-in’s', () => {
  const requests = moto.requests();
  expect(s3Operations(requests)).toEqual(
    new Set(['CreateBucket', 'PutObject', 'GetObject', 'ListObjectsV2']),
  );
  expect(s3Problems(requests)).toEqual([]);
});
