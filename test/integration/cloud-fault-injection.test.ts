/**
 * Fault injection on the whole cloud path, with the default retry and deadline settings: the real askCloud
 * activity (MockActivityEnvironment, with the workflow's timeouts) → the real LLM REST service (retry, circuit
 * breaker) → the real local gateway → the real Lambda handler with the real Bedrock provider and AWS SDK → a
 * fake Bedrock that fails every call. It counts what the provider receives per activity attempt.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import request from 'supertest';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createBedrockClient, createBedrockProvider } from '../../lambda/providers/bedrock';
import { makeAskCloud } from '../../src/conversation/activities/cloud';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import type { AskCloudInput, AskCloudOutput } from '../../src/conversation/activities/types';
import { REQUEST_TIMEOUT_HEADER } from '../../src/contracts/deadline';
import { llmServiceOptions } from '../../src/llm-service/service';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { FakeBedrock } from '../fixtures/bedrock-server';
import type { Step } from '../fixtures/bedrock-server';
import { startCloudStack } from '../fixtures/cloud-stack';
import type { CloudStack } from '../fixtures/cloud-stack';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
/** askCloud's options in the workflow (src/conversation/workflows/activities.ts). */
const CLOUD_START_TO_CLOSE_MS = 90_000;
const CLOUD_MAX_ATTEMPTS = 6;

// The defaults, as the services read them from an empty environment.
const lambdaConfig = loadLambdaConfig({ MODEL_PROVIDER: 'bedrock' });
const serviceDefaults = llmServiceOptions(loadConfig({}), createLogger('fault-injection', 'silent'));

let bedrock: FakeBedrock;
let sdk: BedrockRuntimeClient;
let stack: CloudStack;

/** The stack with its default retry, breaker and timeouts; `resetMs` shortened so a test can see the probe. */
async function start(outage: Step, resetMs = serviceDefaults.circuit.resetMs): Promise<void> {
  bedrock = new FakeBedrock().always(outage);
  const endpoint = await bedrock.start();
  sdk = createBedrockClient({
    region: 'eu-west-1',
    timeoutMs: lambdaConfig.BEDROCK_TIMEOUT_MS,
    maxAttempts: lambdaConfig.BEDROCK_MAX_ATTEMPTS,
    endpoint,
    credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
  });
  stack = await startCloudStack({
    provider: createBedrockProvider({
      client: sdk,
      modelId: MODEL,
      timeoutMs: lambdaConfig.BEDROCK_TIMEOUT_MS,
    }),
    gatewayTimeoutMs: 29_000,
    lambdaLogger: new Logger({ logLevel: 'SILENT' }),
    service: {
      timeoutMs: serviceDefaults.timeoutMs,
      retry: serviceDefaults.retry,
      circuit: { ...serviceDefaults.circuit, resetMs },
    },
  });
}

afterEach(async () => {
  await stack?.close();
  sdk?.destroy();
  await bedrock?.stop();
});

/** One attempt of the real askCloud activity, as the worker runs it. */
async function askCloudAttempt(attempt: number, startToCloseTimeoutMs = CLOUD_START_TO_CLOSE_MS) {
  const client = createLlmServiceClient({ baseUrl: stack.serviceUrl, timeoutMs: serviceDefaults.timeoutMs });
  const askCloud = makeAskCloud({ client, maxTokens: 150 });
  const env = new MockActivityEnvironment(
    {
      attempt,
      startToCloseTimeoutMs,
      scheduleToCloseTimeoutMs: 15 * 60_000,
      scheduledTimestampMs: Date.now(),
      currentAttemptScheduledTimestampMs: Date.now(),
    },
    { logger: new DefaultLogger('ERROR') },
  );
  const before = bedrock.calls.length;
  const started = Date.now();
  const failure = await env
    .run<[AskCloudInput], AskCloudOutput, typeof askCloud>(askCloud, {
      messages: [{ role: 'user', content: 'What is Temporal?' }],
    })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  return { failure, providerCalls: bedrock.calls.length - before, elapsedMs: Date.now() - started };
}

const codeOf = (failure: unknown) =>
  failure instanceof ApplicationFailure
    ? (failure.details?.[0] as { code?: string } | undefined)?.code
    : undefined;

describe('a Bedrock outage (every Converse call answers 503)', () => {
  it('reaches the provider at most 3 times per activity attempt, then not at all once the circuit opens', async () => {
    await start({ error: 'ServiceUnavailableException' });
    const attempts = [];
    for (let attempt = 1; attempt <= CLOUD_MAX_ATTEMPTS; attempt++) {
      const circuitWas = stack.service.upstream.circuitState();
      const outcome = await askCloudAttempt(attempt);
      attempts.push({ attempt, circuitWas, ...outcome, code: codeOf(outcome.failure) });

      // Every attempt fails as a retryable failure, for Temporal (the one retry owner) to schedule the next.
      expect(outcome.failure).toBeInstanceOf(ApplicationFailure);
      expect(outcome.failure).toMatchObject({ type: 'CloudUnavailable', nonRetryable: false });
      expect(outcome.providerCalls).toBeLessThanOrEqual(3);
      if (circuitWas === 'open') {
        expect(outcome.providerCalls).toBe(0);
        expect(outcome.elapsedMs).toBeLessThan(500);
        expect(codeOf(outcome.failure)).toBe('CIRCUIT_OPEN');
      }
    }
    // One SDK attempt × (the REST service's call + its one retry); the fifth failed call (CIRCUIT_VOLUME_THRESHOLD)
    // opens the circuit, whose rejection also ends that attempt's retry.
    expect(attempts.map((a) => a.providerCalls)).toEqual([2, 2, 1, 0, 0, 0]);
    expect(attempts.map((a) => a.code)).toEqual([
      'UPSTREAM_UNAVAILABLE',
      'UPSTREAM_UNAVAILABLE',
      'CIRCUIT_OPEN',
      'CIRCUIT_OPEN',
      'CIRCUIT_OPEN',
      'CIRCUIT_OPEN',
    ]);
    // A whole turn of attempts cost the failing provider 5 calls, not 3 × 3 × N.
    expect(bedrock.calls).toHaveLength(5);
  }, 60_000);

  it('lets one probe through after CIRCUIT_RESET_MS; when it fails the circuit reopens and its retry is not sent', async () => {
    await start({ error: 'ServiceUnavailableException' }, 1_000);
    for (let attempt = 1; stack.service.upstream.circuitState() !== 'open'; attempt++) {
      await askCloudAttempt(attempt);
    }
    const opened = bedrock.calls.length;
    expect((await askCloudAttempt(10)).providerCalls).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(stack.service.upstream.circuitState()).toBe('halfOpen');
    const probe = await askCloudAttempt(11);
    expect(probe.providerCalls).toBe(1);
    expect(codeOf(probe.failure)).toBe('CIRCUIT_OPEN');
    expect(stack.service.upstream.circuitState()).toBe('open');
    expect((await askCloudAttempt(12)).providerCalls).toBe(0);
    expect(bedrock.calls).toHaveLength(opened + 1);
  }, 60_000);
});

describe("a provider that hangs: the activity's deadline, shrunk at every hop", () => {
  it('ends the provider call inside the attempt, answered by the innermost hop, never retried', async () => {
    await start({ delayMs: 60_000 });
    // A 5 s attempt: the worker waits 3 s, the REST service 2.75 s, the gateway 2.65 s, the model call 2.15 s.
    const { failure, providerCalls, elapsedMs } = await askCloudAttempt(1, 5_000);

    expect(failure).toMatchObject({ type: 'CloudUnavailable', nonRetryable: false });
    expect(codeOf(failure)).toBe('UPSTREAM_TIMEOUT');
    // The Lambda's abort, from Bedrock's side of the path: not the worker's, the service's or the gateway's timeout.
    expect((failure as ApplicationFailure).message).toMatch(
      /^UPSTREAM_TIMEOUT: Upstream failed \(504 UPSTREAM_TIMEOUT\): Bedrock/,
    );
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
    expect(elapsedMs).toBeLessThan(2_650);
    expect(providerCalls).toBe(1);

    // The gateway handed the Lambda the REST service's remaining time, shorter than the worker's.
    const sent = Number(stack.events[0]?.headers[REQUEST_TIMEOUT_HEADER]);
    expect(sent).toBeGreaterThan(2_500);
    expect(sent).toBeLessThanOrEqual(2_750);
  }, 30_000);

  it('answers a request whose deadline already passed with a fast 504, reaching neither the gateway nor the provider', async () => {
    await start({ error: 'ServiceUnavailableException' });
    const res = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .set(REQUEST_TIMEOUT_HEADER, '100')
      .send({ inputText: 'hi' })
      .expect(504);
    expect(res.body.error).toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { retryable: true } });
    expect(stack.events).toHaveLength(0);
    expect(bedrock.calls).toHaveLength(0);
  });
});
