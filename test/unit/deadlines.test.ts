/**
 * Deadlines shrink inward, hop by hop: the activity → the worker's client → the REST service → the gateway →
 * the Lambda → the Bedrock client. Each hop reads `X-Request-Timeout-Ms`, takes the min of its own limit and the
 * caller's time less its margin, passes the rest on, and answers 504 without calling further when none is left.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import request from 'supertest';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createHandler } from '../../lambda/handler';
import type { GenerateOptions, ModelProvider } from '../../lambda/providers';
import { createBedrockProvider } from '../../lambda/providers/bedrock';
import { makeAskCloud } from '../../src/conversation/activities/cloud';
import { attemptTimeLeftMs } from '../../src/shared/activity/deadline';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import type { AskCloudInput, AskCloudOutput } from '../../src/conversation/activities/types';
import {
  ACTIVITY_DEADLINE_MARGIN_MS,
  API_GATEWAY_TIMEOUT_MS,
  GATEWAY_DEADLINE_MARGIN_MS,
  hopBudgetMs,
  LAMBDA_DEADLINE_MARGIN_MS,
  parseRequestTimeout,
  REQUEST_TIMEOUT_HEADER,
  SERVICE_DEADLINE_MARGIN_MS,
} from '../../src/contracts/deadline';
import { createGatewayApp } from '../../src/gateway/app';
import { llm } from '../../src/generated/llm';
import { createApp } from '../../src/llm-service/app';
import type { HttpRequest } from '../../src/llm-service/http-transport';
import { createResilientUpstream } from '../../src/llm-service/resilient-upstream';
import { createUpstreamClient } from '../../src/llm-service/upstream-client';
import type { LlmUpstream, UpstreamCallOptions } from '../../src/llm-service/upstream-client';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { httpApiEvent, protobufBody, restEvent, userRequest } from '../fixtures/apigw-events';

const logger = createLogger('deadlines-test', 'silent');
/** Timing slack for the clock moving between the code under test and the assertion. */
const SLACK_MS = 200;

function expectAbout(actual: number | undefined, expected: number) {
  expect(actual).toBeGreaterThan(expected - SLACK_MS);
  expect(actual).toBeLessThanOrEqual(expected);
}

describe('the header and the budget', () => {
  it('parses whole milliseconds, and refuses anything else with a 400', () => {
    expect(parseRequestTimeout(undefined)).toBeUndefined();
    expect(parseRequestTimeout(null)).toBeUndefined();
    expect(parseRequestTimeout('0')).toBe(0);
    expect(parseRequestTimeout(' 59750 ')).toBe(59_750);
    for (const bad of ['', '-5', '1.5', '1e3', 'soon', '12345678901', '100, 200'])
      expect(() => parseRequestTimeout(bad)).toThrow(
        expect.objectContaining({ statusCode: 400, message: expect.stringMatching(/X-Request-Timeout-Ms/) }),
      );
  });

  it("takes the hop's own limit, or the caller's time less the margin when that is shorter", () => {
    expect(hopBudgetMs(60_000, undefined, 250)).toBe(60_000);
    expect(hopBudgetMs(60_000, 90_000, 250)).toBe(60_000);
    expect(hopBudgetMs(60_000, 10_000, 250)).toBe(9_750);
    expect(hopBudgetMs(60_000, 250, 250)).toBe(0);
  });

  it('keeps every default hop strictly inside its caller', () => {
    const activity = 90_000;
    const worker = Math.min(60_000, activity - ACTIVITY_DEADLINE_MARGIN_MS);
    const service = hopBudgetMs(60_000, worker, SERVICE_DEADLINE_MARGIN_MS);
    const gateway = hopBudgetMs(API_GATEWAY_TIMEOUT_MS, service, GATEWAY_DEADLINE_MARGIN_MS);
    const lambda = gateway - LAMBDA_DEADLINE_MARGIN_MS;
    const bedrockAttempt = Math.min(20_000, lambda);
    const chain = [activity, worker, service, gateway, lambda, bedrockAttempt];
    chain.slice(1).forEach((inner, i) => expect(inner).toBeLessThan(chain[i]!));
  });
});

describe('config: one inner retry owner', () => {
  it('defaults to one REST retry within a 60 s budget, and refuses more than one', () => {
    expect(loadConfig({})).toMatchObject({ UPSTREAM_RETRIES: 1, UPSTREAM_TIMEOUT_MS: 60_000 });
    expect(loadConfig({ UPSTREAM_RETRIES: '0' }).UPSTREAM_RETRIES).toBe(0);
    expect(() => loadConfig({ UPSTREAM_RETRIES: '2' })).toThrow(/UPSTREAM_RETRIES/);
    expect(loadLambdaConfig({}).BEDROCK_MAX_ATTEMPTS).toBe(1);
  });
});

describe('hop 1: the activity and the worker’s client', () => {
  const info = (startToCloseTimeoutMs: number, scheduleToCloseTimeoutMs = 0, scheduledTimestampMs = 0) => ({
    startToCloseTimeoutMs,
    scheduleToCloseTimeoutMs,
    scheduledTimestampMs,
  });

  it('leaves the margin before startToClose, counted from when this attempt started', () => {
    expect(attemptTimeLeftMs(info(90_000), 1_000, 1_000)).toBe(90_000 - ACTIVITY_DEADLINE_MARGIN_MS);
    expect(attemptTimeLeftMs(info(90_000), 1_000, 31_000)).toBe(60_000 - ACTIVITY_DEADLINE_MARGIN_MS);
  });

  it('ends at scheduleToClose when that comes first (the last attempts)', () => {
    // First scheduled at 0 with 100 s to close; this attempt started at 95 s with a 90 s startToClose.
    expect(attemptTimeLeftMs(info(90_000, 100_000, 0), 95_000, 95_000)).toBe(
      5_000 - ACTIVITY_DEADLINE_MARGIN_MS,
    );
  });

  function askCloudWith(activityInfo: Parameters<typeof attemptTimeLeftMs>[0], clientTimeoutMs = 60_000) {
    const fetch = jest.fn(
      async () =>
        new Response(
          JSON.stringify({
            response: 'ok',
            model: 'm',
            stopReason: 'end_turn',
            usage: { inputTokens: 1, outputTokens: 1 },
            latencyMs: 1,
            requestId: 'r',
          }),
          { status: 200, headers: { 'content-type': 'application/json' } },
        ),
    );
    const client = createLlmServiceClient({ baseUrl: 'http://llm.test', timeoutMs: clientTimeoutMs, fetch });
    const askCloud = makeAskCloud({ client, maxTokens: 10 });
    const env = new MockActivityEnvironment(activityInfo, { logger: new DefaultLogger('ERROR') });
    const run = () =>
      env.run<[AskCloudInput], AskCloudOutput, typeof askCloud>(askCloud, {
        messages: [{ role: 'user', content: 'Hi' }],
      });
    const sentTimeout = () => {
      const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
      return Number((init.headers as Record<string, string>)[REQUEST_TIMEOUT_HEADER.toLowerCase()]);
    };
    return { fetch, run, sentTimeout };
  }

  it("sends the attempt's remaining time less the margin to the REST service", async () => {
    const { run, sentTimeout } = askCloudWith(info(10_000, 15 * 60_000, Date.now()));
    await run();
    expectAbout(sentTimeout(), 10_000 - ACTIVITY_DEADLINE_MARGIN_MS);
  });

  it("sends its own UPSTREAM_TIMEOUT_MS when that is shorter than the attempt's time", async () => {
    const { run, sentTimeout } = askCloudWith(info(90_000, 15 * 60_000, Date.now()), 5_000);
    await run();
    expect(sentTimeout()).toBe(5_000);
  });

  it('fails fast, retryable, without a call when the attempt has no time left', async () => {
    const { fetch, run } = askCloudWith(info(ACTIVITY_DEADLINE_MARGIN_MS - 1, 0, Date.now()));
    await expect(run()).rejects.toMatchObject({
      type: 'CloudUnavailable',
      nonRetryable: false,
      message: expect.stringMatching(/^DEADLINE_EXCEEDED: /),
    });
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('hop 2: the REST service', () => {
  /** The real app, retries and breaker and gateway client, over a transport that records what it would send. */
  function service({ timeoutMs = 60_000 } = {}) {
    const sent: HttpRequest[] = [];
    const upstream = createResilientUpstream(
      createUpstreamClient({
        baseUrl: 'http://gw.test',
        transport: async (req) => {
          sent.push(req);
          const body = llm.v1.GenerateResponse.encode({ requestId: 'r', text: 'hi', model: 'm' }).finish();
          return { status: 200, contentType: 'application/x-protobuf', body };
        },
      }),
      {
        retry: { retries: 1, baseMs: 1, maxMs: 1, minAttemptMs: 100 },
        circuit: { errorThresholdPercent: 50, volumeThreshold: 5, windowMs: 10_000, resetMs: 1_000 },
        logger,
      },
    );
    afterAll(() => upstream.close());
    const app = createApp({ upstream, logger, timeoutMs });
    const post = (header?: string) => {
      const req = request(app).post('/api/v1/generate');
      if (header !== undefined) req.set(REQUEST_TIMEOUT_HEADER, header);
      return req.send({ inputText: 'hi' });
    };
    return { post, sent };
  }

  describe('with UPSTREAM_TIMEOUT_MS 60 s', () => {
    const { post, sent } = service();
    beforeEach(() => (sent.length = 0));

    it("passes the caller's time less its margin on to the gateway", async () => {
      await post('10000').expect(200);
      expectAbout(sent[0]?.timeoutMs, 10_000 - SERVICE_DEADLINE_MARGIN_MS);
      expect(sent[0]?.headers[REQUEST_TIMEOUT_HEADER]).toBe(String(sent[0]?.timeoutMs));
    });

    it('keeps its own limit when the caller gives more time, or none', async () => {
      await post('600000').expect(200);
      await post().expect(200);
      expectAbout(sent[0]?.timeoutMs, 60_000);
      expectAbout(sent[1]?.timeoutMs, 60_000);
    });

    it('answers a request whose deadline passed on arrival with a fast 504, without calling the gateway', async () => {
      for (const header of ['0', String(SERVICE_DEADLINE_MARGIN_MS)]) {
        const res = await post(header).expect(504);
        expect(res.body.error).toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { retryable: true } });
      }
      expect(sent).toHaveLength(0);
    });

    it('refuses a malformed header with a 400 naming it', async () => {
      const res = await post('soon').expect(400);
      expect(res.body.error.message).toMatch(/X-Request-Timeout-Ms/);
      expect(sent).toHaveLength(0);
    });
  });

  describe('with UPSTREAM_TIMEOUT_MS 2 s', () => {
    const { post, sent } = service({ timeoutMs: 2_000 });

    it('takes the min of its own limit and the caller’s time', async () => {
      await post('10000').expect(200);
      expectAbout(sent[0]?.timeoutMs, 2_000);
    });
  });

  it('counts the deadline from arrival, before the body is read', async () => {
    const seen: UpstreamCallOptions[] = [];
    const upstream: LlmUpstream = {
      async generate(req, options) {
        seen.push(options);
        return {
          ...req,
          text: 'x',
          model: 'm',
          stopReason: 's',
          inputTokens: 0,
          outputTokens: 0,
          latencyMs: 0,
        };
      },
      isReady: async () => true,
    };
    const before = Date.now();
    await request(createApp({ upstream, logger }))
      .post('/api/v1/generate')
      .set(REQUEST_TIMEOUT_HEADER, '5000')
      .send({ inputText: 'hi' })
      .expect(200);
    expect(seen[0]?.deadline).toBeGreaterThanOrEqual(before + 5_000 - SERVICE_DEADLINE_MARGIN_MS);
    expect(seen[0]?.deadline).toBeLessThanOrEqual(Date.now() + 5_000 - SERVICE_DEADLINE_MARGIN_MS);
  });
});

describe('hop 3: the gateway', () => {
  function gateway(timeoutMs?: number) {
    const seen: { event: APIGatewayProxyEvent; remainingMs: number }[] = [];
    const app = createGatewayApp({
      logger,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      handler: async (event: APIGatewayProxyEvent, context: Context) => {
        seen.push({ event, remainingMs: context.getRemainingTimeInMillis() });
        return { statusCode: 200, body: '' };
      },
    });
    return { app, seen };
  }

  it("puts the caller's header in the event and sizes the Lambda's remaining time from it", async () => {
    const { app, seen } = gateway();
    await request(app).post('/generate').set(REQUEST_TIMEOUT_HEADER, '10000').send('x').expect(200);
    expect(seen[0]?.event.headers[REQUEST_TIMEOUT_HEADER]).toBe('10000');
    expect(seen[0]?.event.multiValueHeaders[REQUEST_TIMEOUT_HEADER]).toEqual(['10000']);
    expectAbout(seen[0]?.remainingMs, 10_000 - GATEWAY_DEADLINE_MARGIN_MS);
  });

  it("caps the Lambda's time at API Gateway's 29 s integration timeout", async () => {
    const { app, seen } = gateway();
    await request(app).post('/generate').set(REQUEST_TIMEOUT_HEADER, '600000').send('x').expect(200);
    await request(app).post('/generate').send('x').expect(200);
    expectAbout(seen[0]?.remainingMs, API_GATEWAY_TIMEOUT_MS);
    expectAbout(seen[1]?.remainingMs, API_GATEWAY_TIMEOUT_MS);
  });

  it('times the integration out at the shortened time', async () => {
    const app = createGatewayApp({
      logger,
      handler: () =>
        new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '' }), 2_000).unref()),
    });
    const started = Date.now();
    await request(app)
      .post('/generate')
      .set(REQUEST_TIMEOUT_HEADER, String(GATEWAY_DEADLINE_MARGIN_MS + 150))
      .send('x')
      .expect(504, { message: 'Endpoint request timed out' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('answers 504 at once, without invoking the Lambda, when the deadline passed on arrival', async () => {
    const { app, seen } = gateway();
    await request(app)
      .post('/generate')
      .set(REQUEST_TIMEOUT_HEADER, String(GATEWAY_DEADLINE_MARGIN_MS))
      .send('x')
      .expect(504, { message: 'Endpoint request timed out' });
    expect(seen).toHaveLength(0);
  });

  it('passes a malformed header through for the Lambda to judge, with its own timeout', async () => {
    const { app, seen } = gateway(5_000);
    await request(app).post('/generate').set(REQUEST_TIMEOUT_HEADER, 'soon').send('x').expect(200);
    expect(seen[0]?.event.headers[REQUEST_TIMEOUT_HEADER]).toBe('soon');
    expectAbout(seen[0]?.remainingMs, 5_000);
  });
});

describe('hop 4: the Lambda handler', () => {
  const config = loadLambdaConfig({});
  const lambdaLogger = new Logger({ logLevel: 'SILENT' });

  function recordingProvider() {
    const calls: (GenerateOptions | undefined)[] = [];
    const provider: ModelProvider = {
      name: 'fake',
      async generate(_input, options) {
        calls.push(options);
        return { text: 'ok', model: 'm', stopReason: 'end_turn', inputTokens: 1, outputTokens: 1 };
      },
    };
    return { provider, calls, handler: createHandler({ provider, config, logger: lambdaLogger }) };
  }

  const withHeader = (value: string, requestTimeEpoch = Date.now()) => {
    const event = restEvent(protobufBody(userRequest('hi')));
    event.headers[REQUEST_TIMEOUT_HEADER] = value;
    event.requestContext.requestTimeEpoch = requestTimeEpoch;
    return event;
  };
  const context = (remainingMs: number) => ({
    awsRequestId: 'a-1',
    getRemainingTimeInMillis: () => remainingMs,
  });

  it("gives the provider the caller's deadline less the margin when it comes before the invocation's", async () => {
    const { handler, calls } = recordingProvider();
    const result = await handler(withHeader('3000'), context(29_000));
    expect(result.statusCode).toBe(200);
    expectAbout((calls[0]?.deadline ?? 0) - Date.now(), 3_000 - LAMBDA_DEADLINE_MARGIN_MS);
    expect(calls[0]?.signal?.aborted).toBe(false);
  });

  it("keeps to the invocation's own remaining time when that comes first", async () => {
    const { handler, calls } = recordingProvider();
    await handler(withHeader('60000'), context(2_000));
    expectAbout((calls[0]?.deadline ?? 0) - Date.now(), 2_000 - LAMBDA_DEADLINE_MARGIN_MS);
  });

  it('counts the header from when API Gateway received the request (a cold start is not given twice)', async () => {
    const { handler, calls } = recordingProvider();
    await handler(withHeader('3000', Date.now() - 1_000), context(29_000));
    expectAbout((calls[0]?.deadline ?? 0) - Date.now(), 2_000 - LAMBDA_DEADLINE_MARGIN_MS);
  });

  it('ignores a requestTimeEpoch that cannot be this request’s (a replayed event) and counts from its start', async () => {
    const { handler, calls } = recordingProvider();
    await handler(withHeader('3000', 1_764_069_540_000), context(29_000));
    expectAbout((calls[0]?.deadline ?? 0) - Date.now(), 3_000 - LAMBDA_DEADLINE_MARGIN_MS);
  });

  it('reads the lower-cased header of an HTTP API (v2) event', async () => {
    const { handler, calls } = recordingProvider();
    const event = httpApiEvent(protobufBody(userRequest('hi')));
    event.headers[REQUEST_TIMEOUT_HEADER.toLowerCase()] = '3000';
    event.requestContext.timeEpoch = Date.now();
    await handler(event, context(29_000));
    expectAbout((calls[0]?.deadline ?? 0) - Date.now(), 3_000 - LAMBDA_DEADLINE_MARGIN_MS);
  });

  it('answers 504 DEADLINE_EXCEEDED, retryable, without calling the model when no time is left', async () => {
    const { handler, calls } = recordingProvider();
    for (const [event, ctx] of [
      [withHeader(String(LAMBDA_DEADLINE_MARGIN_MS)), context(29_000)],
      [withHeader('60000'), context(LAMBDA_DEADLINE_MARGIN_MS)],
    ] as const) {
      const result = await handler(event, ctx);
      expect(result.statusCode).toBe(504);
      expect(llm.v1.ErrorResponse.decode(Buffer.from(result.body, 'base64'))).toMatchObject({
        code: 'DEADLINE_EXCEEDED',
        retryable: true,
      });
    }
    expect(calls).toHaveLength(0);
  });

  it('refuses a malformed header with a 400', async () => {
    const { handler, calls } = recordingProvider();
    const result = await handler(withHeader('soon'), context(29_000));
    expect(result.statusCode).toBe(400);
    expect(llm.v1.ErrorResponse.decode(Buffer.from(result.body, 'base64')).message).toMatch(
      /X-Request-Timeout-Ms/,
    );
    expect(calls).toHaveLength(0);
  });
});

describe('hop 5: the Bedrock client', () => {
  function bedrockSending(timeoutMs: number) {
    const sent: { abortSignal?: AbortSignal; requestTimeout?: number }[] = [];
    const client = {
      send: async (_command: unknown, options: { abortSignal?: AbortSignal; requestTimeout?: number }) => {
        sent.push(options);
        return { output: { message: { content: [{ text: 'hi' }] } } };
      },
    } as unknown as BedrockRuntimeClient;
    return { sent, provider: createBedrockProvider({ client, modelId: 'm', timeoutMs }) };
  }
  const input = { messages: [{ role: 'user' as const, content: 'hi' }], maxTokens: 5 };

  it("caps the per-attempt timeout at what the deadline leaves, and passes the deadline's abort signal", async () => {
    const { sent, provider } = bedrockSending(20_000);
    const signal = AbortSignal.timeout(60_000);
    await provider.generate(input, { signal, deadline: Date.now() + 3_000 });
    expectAbout(sent[0]?.requestTimeout, 3_000);
    expect(sent[0]?.abortSignal).toBe(signal);
  });

  it('keeps BEDROCK_TIMEOUT_MS per attempt when the deadline is further', async () => {
    const { sent, provider } = bedrockSending(20_000);
    await provider.generate(input, { deadline: Date.now() + 28_500 });
    expect(sent[0]?.requestTimeout).toBe(20_000);
  });
});
