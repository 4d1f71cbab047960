/**
 * The local Bedrock batch stand-in driven by the real @aws-sdk/client-bedrock, with its job files in a real S3 API
 * server (moto) read and written through the real @aws-sdk/client-s3. Every request it received is checked against
 * botocore's `bedrock` service model, and its replies against the operations' output shapes; every S3 request (the
 * stand-in's job files and the test's own) against botocore's `s3` model.
 */
import {
  ConflictException,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ResourceNotFoundException,
  StopModelInvocationJobCommand,
  ThrottlingException,
  ValidationException,
  type BedrockClient,
  type CreateModelInvocationJobCommandInput,
  type GetModelInvocationJobCommandOutput,
} from '@aws-sdk/client-bedrock';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createOllamaProvider } from '../../lambda/providers';
import type { ModelProvider } from '../../lambda/providers';
import type { ReceivedRequest } from '../../src/stack/bedrock-batch-stand-in/app';
import { PATTERNS } from '../../src/stack/bedrock-batch-stand-in/wire';
import { createOllamaClient } from '../../src/models/ollama-client';
import { BedrockBatchStandIn, EchoProvider } from '../fixtures/bedrock-batch-stand-in';
import { FakeOllama } from '../fixtures/ollama-server';
import { S3Server } from '../fixtures/s3-server';
import { loadServiceModel, requestProblems, responseProblems, type ServiceModel } from '../helpers/botocore';
import { s3Operations, s3Problems } from '../helpers/botocore-s3';
import { until } from '../helpers/wait';

const BUCKET = 'batch-stand-in';
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatchInference';
const MIN_RECORDS = 3;

let moto: S3Server;
let s3: S3Client;
let model: ServiceModel;
let standIn: BedrockBatchStandIn;
let provider: ModelProvider;
let echo: EchoProvider;
let endpoint: string;
let bedrock: BedrockClient;
const received: ReceivedRequest[] = [];

beforeAll(async () => {
  model = loadServiceModel('bedrock');
  moto = await S3Server.start();
  await moto.createBucket(BUCKET);
  s3 = moto.client();
  echo = new EchoProvider();
  provider = echo;
  standIn = await BedrockBatchStandIn.start({
    s3,
    provider: { name: 'switch', generate: (input, options) => provider.generate(input, options) },
    minRecords: MIN_RECORDS,
  });
  endpoint = standIn.endpoint;
  bedrock = standIn.client();
}, 90_000);

afterAll(async () => {
  bedrock?.destroy();
  await standIn?.stop();
  s3?.destroy();
  await moto?.stop();
});

afterEach(async () => {
  standIn.faults.clear();
  provider = echo;
  const requests = await standIn.requests();
  received.push(...requests.slice(received.length));
});

let fileCounter = 0;

/** Uploads `n` Converse records (or the given lines) and returns the input file's URI. */
async function uploadInput(lines: unknown[] | number, name = `input-${++fileCounter}.jsonl`, prefix = 'in') {
  const records =
    typeof lines === 'number'
      ? Array.from({ length: lines }, (_, i) => ({
          recordId: `REC${String(i).padStart(8, '0')}`,
          modelInput: {
            messages: [{ role: 'user', content: [{ text: `question ${i}` }] }],
            system: [{ text: 'Be brief' }],
            inferenceConfig: { maxTokens: 64, temperature: 0.5 },
          },
        }))
      : lines;
  const key = `${prefix}/${name}`;
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: records.map((r) => JSON.stringify(r)).join('\n'),
    }),
  );
  return `s3://${BUCKET}/${key}`;
}

let jobCounter = 0;

function jobInput(inputUri: string, extra: Partial<CreateModelInvocationJobCommandInput> = {}) {
  return {
    jobName: `stand-in-test-${++jobCounter}`,
    roleArn: ROLE,
    modelId: MODEL,
    modelInvocationType: 'Converse' as const,
    inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: 'JSONL' as const } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/out` } },
    ...extra,
  };
}

async function createJob(inputUri: string, extra: Partial<CreateModelInvocationJobCommandInput> = {}) {
  const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput(inputUri, extra)));
  return jobArn!;
}

async function settle(
  jobArn: string,
  statuses: string[] = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'],
) {
  return until(
    () => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })),
    (job: GetModelInvocationJobCommandOutput) => statuses.includes(job.status ?? ''),
    { timeoutMs: 20_000, what: `job ${jobArn} reaching ${statuses.join('/')}` },
  );
}

async function readText(key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return object.Body!.transformToString('utf8');
}

async function outputOf(jobArn: string, inputName: string) {
  const id = jobArn.split('/').at(-1)!;
  const lines = (await readText(`out/${id}/${inputName}.out`))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown> & { recordId: string });
  const manifest = JSON.parse(await readText(`out/${id}/manifest.json.out`)) as Record<string, number>;
  return { lines, manifest };
}

/** A signed-looking raw request, to read the stand-in's JSON exactly as sent. */
async function raw(method: string, path: string, body?: unknown) {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    headers: {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=0',
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    errorType: res.headers.get('x-amzn-errortype'),
    body: (await res.json()) as unknown,
  };
}

const inject = (faults: Parameters<BedrockBatchStandIn['inject']>[0]) => standIn.inject(faults);

/** Requests the validation tests make invalid on purpose carry this token, so the model check leaves them out. */
const INVALID_ON_PURPOSE = 'invalid-on-purpose';

describe('a Converse batch job', () => {
  it('answers every record and writes the .jsonl.out lines and manifest.json.out in the job folder', async () => {
    const jobArn = await createJob(await uploadInput(5, 'records.jsonl'));
    expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job\/[a-z0-9]{12}$/);
    const job = await settle(jobArn);
    expect(job).toMatchObject({
      status: 'Completed',
      modelId: MODEL,
      roleArn: ROLE,
      modelInvocationType: 'Converse',
      totalRecordCount: 5,
      processedRecordCount: 5,
      successRecordCount: 5,
      errorRecordCount: 0,
      timeoutDurationInHours: 168,
    });
    expect(job.submitTime).toBeInstanceOf(Date);
    expect(job.endTime!.getTime()).toBeGreaterThanOrEqual(job.submitTime!.getTime());

    const { lines, manifest } = await outputOf(jobArn, 'records.jsonl');
    expect(lines.map((l) => l.recordId).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `REC${String(i).padStart(8, '0')}`),
    );
    const first = lines.find((l) => l.recordId === 'REC00000000')!;
    expect(first.modelInput).toEqual({
      messages: [{ role: 'user', content: [{ text: 'question 0' }] }],
      system: [{ text: 'Be brief' }],
      inferenceConfig: { maxTokens: 64, temperature: 0.5 },
    });
    expect(first.modelOutput).toMatchObject({
      output: { message: { role: 'assistant', content: [{ text: 'echo: question 0' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
    });
    expect(manifest).toEqual({
      totalRecordCount: 5,
      processedRecordCount: 5,
      successRecordCount: 5,
      errorRecordCount: 0,
      inputTokenCount: 15,
      outputTokenCount: 10,
    });
    // The model was asked what the record says: system prompt, messages, inference settings.
    expect(echo.calls.find((c) => c.messages[0]!.content === 'question 0')).toEqual({
      messages: [{ role: 'user', content: 'question 0' }],
      system: 'Be brief',
      maxTokens: 64,
      temperature: 0.5,
    });
  });

  it('reads every .jsonl under a folder and names each output after its path there', async () => {
    await uploadInput(2, 'a.jsonl', 'folder/run-1');
    await uploadInput(2, 'b.jsonl', 'folder/run-1/sub');
    const jobArn = await createJob(`s3://${BUCKET}/folder/run-1/`);
    expect(await settle(jobArn)).toMatchObject({ status: 'Completed', totalRecordCount: 4 });
    const id = jobArn.split('/').at(-1)!;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `out/${id}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      `out/${id}/a.jsonl.out`,
      `out/${id}/manifest.json.out`,
      `out/${id}/sub/b.jsonl.out`,
    ]);
  });

  it('writes an error line for a record the model fails, and the job still completes', async () => {
    const records = [0, 1, 2].map((i) => ({
      recordId: `R${i}`,
      modelInput: {
        messages: [{ role: 'user', content: [{ text: i === 1 ? 'fail-429 please' : `q${i}` }] }],
      },
    }));
    const jobArn = await createJob(await uploadInput(records, 'model-errors.jsonl'));
    expect(await settle(jobArn)).toMatchObject({
      status: 'Completed',
      successRecordCount: 2,
      errorRecordCount: 1,
    });
    const { lines } = await outputOf(jobArn, 'model-errors.jsonl');
    expect(lines.find((l) => l.recordId === 'R1')).toEqual({
      recordId: 'R1',
      modelInput: records[1]!.modelInput,
      error: { errorCode: 429, errorMessage: 'model failed on fail-429 please' },
    });
  });

  it('answers a record whose modelInput is not a Converse request with a 400 error line', async () => {
    const records = [
      { recordId: 'A', modelInput: { messages: [{ role: 'user', content: [{ text: 'fine' }] }] } },
      { recordId: 'B', modelInput: { prompt: 'InvokeModel-style body' } },
      { recordId: 'C', modelInput: { messages: [{ role: 'user', content: [{ text: 'fine too' }] }] } },
    ];
    const jobArn = await createJob(await uploadInput(records, 'malformed.jsonl'));
    await settle(jobArn);
    const { lines } = await outputOf(jobArn, 'malformed.jsonl');
    expect(lines.find((l) => l.recordId === 'B')).toMatchObject({
      error: { errorCode: 400, errorMessage: expect.stringContaining('modelInput.messages') },
    });
  });

  it('answers through the Lambda’s Ollama provider, the local stack’s model', async () => {
    const ollama = new FakeOllama({ reply: (last) => `ollama says: ${last}`, model: 'gemma3:270m' });
    await ollama.start();
    provider = createOllamaProvider({ client: createOllamaClient(ollama.url), model: 'gemma3:270m' });
    try {
      const jobArn = await createJob(await uploadInput(3, 'ollama.jsonl'));
      expect(await settle(jobArn)).toMatchObject({ status: 'Completed', successRecordCount: 3 });
      const { lines } = await outputOf(jobArn, 'ollama.jsonl');
      expect(lines.map((l) => l.modelOutput)).toContainEqual(
        expect.objectContaining({
          output: {
            message: { role: 'assistant', content: [{ text: expect.stringContaining('ollama says') }] },
          },
        }),
      );
    } finally {
      await ollama.stop();
    }
  });
});

describe('validation and idempotency', () => {
  it('returns the same job for the same clientRequestToken and request, and runs it once', async () => {
    const input = await uploadInput(3, 'idempotent.jsonl');
    const request = jobInput(input, { clientRequestToken: 'token-idempotent-1' });
    const first = await bedrock.send(new CreateModelInvocationJobCommand(request));
    const second = await bedrock.send(new CreateModelInvocationJobCommand(request));
    expect(second.jobArn).toBe(first.jobArn);
    const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: request.jobName }));
    expect(listed.invocationJobSummaries?.map((j) => j.jobArn)).toEqual([first.jobArn]);
    expect(listed.invocationJobSummaries?.[0]?.clientRequestToken).toBe('token-idempotent-1');
  });

  it('refuses a reused clientRequestToken with a different request (ConflictException)', async () => {
    const input = await uploadInput(3, 'conflict.jsonl');
    await createJob(input, { clientRequestToken: 'token-conflict-1' });
    await expect(
      createJob(input, { clientRequestToken: 'token-conflict-1', modelId: 'amazon.nova-lite-v1:0' }),
    ).rejects.toBeInstanceOf(ConflictException);
  });

  it.each([
    [
      'jobName',
      { jobName: 'bad name!' },
      /Value 'bad name!' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    ],
    [
      'timeoutDurationInHours',
      { timeoutDurationInHours: 12 },
      /at 'timeoutDurationInHours' .*greater than or equal to 24/,
    ],
    ['roleArn', { roleArn: 'not-an-arn' }, /at 'roleArn'/],
    [
      's3Uri',
      { outputDataConfig: { s3OutputDataConfig: { s3Uri: 'https://bucket/out' } } },
      /at 'outputDataConfig.s3OutputDataConfig.s3Uri'/,
    ],
  ])('answers a bad %s with a ValidationException naming it', async (field, extra, message) => {
    const error = await createJob(`s3://${BUCKET}/in/none.jsonl`, {
      ...(extra as Partial<CreateModelInvocationJobCommandInput>),
      clientRequestToken: `${INVALID_ON_PURPOSE}-${field}`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toMatch(/^1 validation error detected: /);
    expect((error as Error).message).toMatch(message);
  });

  it('runs Converse jobs only', async () => {
    await expect(
      createJob(`s3://${BUCKET}/in/none.jsonl`, { modelInvocationType: 'InvokeModel' }),
    ).rejects.toThrow(/Converse jobs only/);
  });

  it('answers an unknown job with ResourceNotFoundException', async () => {
    await expect(
      bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefabcdef' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('fails a job with fewer records than the per-job minimum, naming it', async () => {
    const job = await settle(await createJob(await uploadInput(MIN_RECORDS - 1, 'too-few.jsonl')));
    expect(job.status).toBe('Failed');
    expect(job.message).toMatch(`minimum per batch inference job is ${MIN_RECORDS}`);
  });

  it('fails a job whose input does not exist', async () => {
    const job = await settle(await createJob(`s3://${BUCKET}/in/missing.jsonl`));
    expect(job).toMatchObject({ status: 'Failed', message: expect.stringContaining('NoSuchKey') });
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(`${endpoint}/model-invocation-jobs`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});

describe('fault injection', () => {
  it('ends a job PartiallyCompleted with only some records answered', async () => {
    await inject({ jobs: [{ outcome: 'PartiallyCompleted', answered: 2 }] });
    const jobArn = await createJob(await uploadInput(5, 'partial.jsonl'));
    expect(await settle(jobArn)).toMatchObject({
      status: 'PartiallyCompleted',
      totalRecordCount: 5,
      processedRecordCount: 2,
    });
    const { lines, manifest } = await outputOf(jobArn, 'partial.jsonl');
    expect(lines).toHaveLength(2);
    expect(manifest).toMatchObject({ totalRecordCount: 5, processedRecordCount: 2, successRecordCount: 2 });
  });

  it('lets a job expire before it starts, writing nothing', async () => {
    await inject({ jobs: [{ outcome: 'Expired' }] });
    const jobArn = await createJob(await uploadInput(3, 'expired.jsonl'));
    expect(await settle(jobArn)).toMatchObject({ status: 'Expired' });
    const id = jobArn.split('/').at(-1)!;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `out/${id}/` }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('fails a job with a message', async () => {
    await inject({ jobs: [{ outcome: 'Failed', message: 'Injected internal failure' }] });
    expect(await settle(await createJob(await uploadInput(3, 'failed.jsonl')))).toMatchObject({
      status: 'Failed',
      message: 'Injected internal failure',
    });
  });

  it('writes error lines for the first records', async () => {
    await inject({ jobs: [{ errorRecords: 2, errorCode: 503 }] });
    const jobArn = await createJob(await uploadInput(4, 'record-errors.jsonl'));
    expect(await settle(jobArn)).toMatchObject({
      status: 'Completed',
      errorRecordCount: 2,
      successRecordCount: 2,
    });
    const { lines } = await outputOf(jobArn, 'record-errors.jsonl');
    expect(
      lines
        .filter((l) => 'error' in l)
        .map((l) => l.recordId)
        .sort(),
    ).toEqual(['REC00000000', 'REC00000001']);
    expect(lines.find((l) => 'error' in l)!.error).toEqual({
      errorCode: 503,
      errorMessage: 'Injected record failure',
    });
  });

  it('fails API calls with the injected error, in Bedrock’s format', async () => {
    await inject({
      requests: [{ operation: 'ListModelInvocationJobs', error: 'ThrottlingException', times: 2 }],
    });
    await expect(bedrock.send(new ListModelInvocationJobsCommand({}))).rejects.toBeInstanceOf(
      ThrottlingException,
    );
    const second = await raw('GET', '/model-invocation-jobs');
    expect(second).toMatchObject({
      status: 429,
      errorType: 'ThrottlingException',
      body: { message: expect.any(String) },
    });
    await expect(bedrock.send(new ListModelInvocationJobsCommand({}))).resolves.toBeDefined();
  });

  it('refuses a malformed fault', async () => {
    const res = await fetch(`${endpoint}/_local/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobs: [{ outcome: 'Exploded' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/jobs\.0\.outcome/);
  });
});

describe('StopModelInvocationJob', () => {
  it('stops a job that has not started, then refuses to stop it again', async () => {
    await inject({ jobs: [{ delayMs: 60_000 }] });
    const jobArn = await createJob(await uploadInput(3, 'stop-scheduled.jsonl'));
    await settle(jobArn, ['Scheduled']);
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect((await settle(jobArn)).status).toBe('Stopped');
    await expect(
      bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn })),
    ).rejects.toBeInstanceOf(ConflictException);
  });

  it('stops a running job after the records in flight, keeping their answers', async () => {
    let release!: () => void;
    echo.gate = new Promise<void>((resolve) => (release = resolve));
    const jobArn = await createJob(await uploadInput(9, 'stop-running.jsonl'));
    await settle(jobArn, ['InProgress']);
    await until(
      () => echo.calls.length,
      (n) => n >= 3,
      { what: 'three records in flight' },
    );
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn.split('/').at(-1)! }));
    expect((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status).toBe(
      'Stopping',
    );
    echo.gate = undefined;
    release();
    const job = await settle(jobArn);
    expect(job.status).toBe('Stopped');
    const { lines, manifest } = await outputOf(jobArn, 'stop-running.jsonl');
    expect(lines.length).toBeLessThan(9);
    expect(manifest.processedRecordCount).toBe(lines.length);
  });
});

describe('against botocore’s bedrock service model', () => {
  it('uses the model’s patterns', () => {
    for (const [shape, pattern] of Object.entries(PATTERNS)) {
      expect([shape, model.shapes[shape]?.pattern]).toEqual([shape, pattern]);
    }
  });

  it('has a checker that catches what breaks the model', () => {
    const request = {
      method: 'POST',
      path: '/model-invocation-job',
      query: {},
      body: { jobName: 'a b', extra: 1 },
    };
    expect(requestProblems(model, request)).toEqual(
      expect.arrayContaining([
        'CreateModelInvocationJob.roleArn: required',
        expect.stringMatching(/^CreateModelInvocationJob\.jobName: "a b" does not match/),
        'CreateModelInvocationJob.extra: not a member of the shape',
      ]),
    );
    const get = { method: 'GET', path: '/model-invocation-job/NOT-AN-ID', query: {}, body: undefined };
    expect(requestProblems(model, get)).toEqual([
      expect.stringMatching(/jobIdentifier: "NOT-AN-ID" does not match/),
    ]);
    expect(responseProblems(model, 'GetModelInvocationJob', { jobArn: 'x' })).toContain(
      'GetModelInvocationJob.modelId: required',
    );
  });

  it('received only requests valid for their operation (all tests above)', () => {
    expect(received.length).toBeGreaterThan(20);
    const operations = new Set(received.map((r) => r.operation));
    expect([...operations].sort()).toEqual([
      'CreateModelInvocationJob',
      'GetModelInvocationJob',
      'ListModelInvocationJobs',
      'StopModelInvocationJob',
    ]);
    const meant = received.filter(
      (r) =>
        !String((r.body as { clientRequestToken?: unknown } | undefined)?.clientRequestToken).startsWith(
          INVALID_ON_PURPOSE,
        ),
    );
    expect(meant.length).toBe(received.length - 4);
    expect(meant.flatMap((r) => requestProblems(model, r))).toEqual([]);
  });

  it('answers with bodies that match the operations’ output shapes', async () => {
    const jobArn = await createJob(await uploadInput(3, 'shapes.jsonl'));
    await settle(jobArn);
    const id = jobArn.split('/').at(-1)!;
    const created = await raw(
      'POST',
      '/model-invocation-job',
      jobInput(await uploadInput(3, 'shapes-2.jsonl')),
    );
    expect(responseProblems(model, 'CreateModelInvocationJob', created.body)).toEqual([]);
    const got = await raw('GET', `/model-invocation-job/${encodeURIComponent(jobArn)}`);
    expect(got.status).toBe(200);
    expect(responseProblems(model, 'GetModelInvocationJob', got.body)).toEqual([]);
    const listed = await raw('GET', `/model-invocation-jobs?maxResults=2&sortOrder=Descending`);
    expect(responseProblems(model, 'ListModelInvocationJobs', listed.body)).toEqual([]);
    expect((listed.body as { nextToken?: string }).nextToken).toBeDefined();
    const stopped = await raw('POST', `/model-invocation-job/${id}/stop`);
    expect(stopped).toMatchObject({ status: 400, errorType: 'ConflictException' });
  });
});

describe('against botocore’s s3 service model', () => {
  it('sent moto only valid S3 requests: the stand-in reading inputs and writing outputs, and this test (all above)', () => {
    const requests = moto.requests();
    expect(s3Operations(requests)).toEqual(
      new Set(['CreateBucket', 'PutObject', 'GetObject', 'ListObjectsV2']),
    );
    expect(s3Problems(requests)).toEqual([]);
  });
});
