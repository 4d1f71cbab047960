/**
 * A model server's wait (`Retry-After`) along the whole cloud path, with the default retry settings: the real
 * askCloud activity → the real LLM REST service → the real local gateway → the real Lambda handler with its
 * `openai` provider (or the Bedrock provider and the real AWS SDK) → a fake model server that throttles. The wait
 * must reach the activity's failure as `nextRetryDelay`, and no layer may call the server again sooner.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createProvider } from '../../lambda/providers';
import { createBedrockClient, createBedrockProvider } from '../../lambda/providers/bedrock';
import { makeAskCloud } from '../../src/conversation/activities/cloud';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import type { AskCloudInput, AskCloudOutput } from '../../src/conversation/activities/types';
import type { ModelProvider } from '../../lambda/providers';
import { llmServiceOptions } from '../../src/llm-service/service';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { FakeBedrock } from '../fixtures/bedrock-server';
import { startCloudStack } from '../fixtures/cloud-stack';
import type { CloudStack } from '../fixtures/cloud-stack';
import { FakeOpenAiServer } from '../fixtures/openai-server';

const serviceDefaults = llmServiceOptions(loadConfig({}), createLogger('retry-after', 'silent'));

let stack: CloudStack | undefined;
let openai: FakeOpenAiServer | undefined;
let bedrock: FakeBedrock | undefined;
let sdk: BedrockRuntimeClient | undefined;

afterEach(async () => {
  await stack?.close();
  sdk?.destroy();
  await openai?.stop();
  await bedrock?.stop();
  stack = openai = bedrock = sdk = undefined;
});

async function startWith(provider: ModelProvider): Promise<CloudStack> {
  stack = await startCloudStack({
    provider,
    gatewayTimeoutMs: 29_000,
    lambdaLogger: new Logger({ logLevel: 'SILENT' }),
    service: { timeoutMs: serviceDefaults.timeoutMs, retry: serviceDefaults.retry },
  });
  return stack;
}

/** The Lambda as `MODEL_PROVIDER=openai` configures it, in front of a fake OpenAI-compatible server. */
async function openAiStack(): Promise<{ server: FakeOpenAiServer; stack: CloudStack }> {
  openai = new FakeOpenAiServer();
  const baseUrl = await openai.start();
  const provider = createProvider(
    loadLambdaConfig({ MODEL_PROVIDER: 'openai', OPENAI_BASE_URL: baseUrl, OPENAI_MODEL: 'served-model' }),
  );
  return { server: openai, stack: await startWith(provider) };
}

/** One attempt of the real askCloud activity, as the worker runs it. */
async function askCloudAttempt(serviceUrl: string): Promise<unknown> {
  const client = createLlmServiceClient({ baseUrl: serviceUrl, timeoutMs: serviceDefaults.timeoutMs });
  const askCloud = makeAskCloud({ client, maxTokens: 150 });
  const env = new MockActivityEnvironment(
    {
      attempt: 1,
      startToCloseTimeoutMs: 90_000,
      scheduleToCloseTimeoutMs: 15 * 60_000,
      scheduledTimestampMs: Date.now(),
      currentAttemptScheduledTimestampMs: Date.now(),
    },
    { logger: new DefaultLogger('ERROR') },
  );
  return env
    .run<[AskCloudInput], AskCloudOutput, typeof askCloud>(askCloud, {
      messages: [{ role: 'user', content: 'What is Temporal?' }],
    })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
}

describe("a throttling model server's Retry-After on the Lambda path", () => {
  it('a wait longer than the service may hold a call (3 s): one call, and the wait becomes the next retry delay', async () => {
    const { server, stack } = await openAiStack();
    server.next({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });

    const failure = await askCloudAttempt(stack.serviceUrl);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'CloudUnavailable', nonRetryable: false, nextRetryDelay: 3_000 });
    expect((failure as ApplicationFailure).details?.[0]).toMatchObject({ code: 'THROTTLED' });
    // The REST service left the retry to Temporal, which waits without holding a worker slot.
    expect(server.received).toHaveLength(1);
  });

  it('a short wait (1 s) is retried by the service once, no sooner than asked, and the turn is answered', async () => {
    const { server, stack } = await openAiStack();
    server.next({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });

    expect(await askCloudAttempt(stack.serviceUrl)).toBeUndefined();

    expect(server.received).toHaveLength(2);
    const [first, second] = server.log.arrivals;
    expect(second! - first!).toBeGreaterThanOrEqual(1_000);
    // The same call, retried: the same request id.
    expect(server.received[1]!.headers['x-request-id']).toBe(server.received[0]!.headers['x-request-id']);
  });

  it("Bedrock's throttling hint (x-amz-retry-after) travels the same way", async () => {
    bedrock = new FakeBedrock().then({
      error: 'ThrottlingException',
      headers: { 'x-amz-retry-after': '4500' },
    });
    const endpoint = await bedrock.start();
    const config = loadLambdaConfig({ MODEL_PROVIDER: 'bedrock' });
    sdk = createBedrockClient({
      region: 'eu-west-1',
      timeoutMs: config.BEDROCK_TIMEOUT_MS,
      maxAttempts: config.BEDROCK_MAX_ATTEMPTS,
      endpoint,
      credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
    });
    const { serviceUrl } = await startWith(
      createBedrockProvider({ client: sdk, modelId: config.BEDROCK_MODEL_ID }),
    );

    const failure = await askCloudAttempt(serviceUrl);

    expect(failure).toMatchObject({ type: 'CloudUnavailable', nextRetryDelay: 4_500 });
    expect(bedrock.calls).toHaveLength(1);
  });
});
