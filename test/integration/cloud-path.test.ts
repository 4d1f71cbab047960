import { Logger as LambdaLogger } from '@aws-lambda-powertools/logger';
import request from 'supertest';
import { llm } from '../../src/generated/llm';
import { UpstreamError } from '../../src/contracts/errors';
import type { GenerateInput, GenerateOutput } from '../../lambda/providers';
import { close, echoReply, listen, ScriptedProvider, startCloudStack } from '../fixtures/cloud-stack';
import type { CloudStack } from '../fixtures/cloud-stack';
import { until } from '../helpers/wait';

/** Answers, but only after every timeout in these tests (and ignores the Lambda's abort signal). */
const slowReply = (input: GenerateInput) =>
  new Promise<GenerateOutput>((resolve) => setTimeout(() => resolve(echoReply(input)), 3_000));
const failing = (err: UpstreamError) => () => Promise.reject(err);
const unavailable = () =>
  new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', 'Bedrock: service unavailable', true);

async function metric(stack: CloudStack, line: RegExp): Promise<number> {
  const text = (await request(stack.serviceUrl).get('/metrics').expect(200)).text;
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').at(-1)) : 0;
}

describe('cloud path: llm-service → gateway → Lambda handler, on real sockets', () => {
  const provider = new ScriptedProvider();
  const lambdaLines: string[] = [];
  let stack: CloudStack;

  beforeAll(async () => {
    // Powertools writes JSON lines to stdout; keep the handler's lines to check what CloudWatch would get.
    const lambdaLogger = new LambdaLogger({ serviceName: 'llm-lambda', logLevel: 'INFO' });
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lambdaLines.push(String(chunk));
        return true;
      });
    }
    stack = await startCloudStack({ provider, lambdaLogger });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await stack.close();
  });
  beforeEach(() => {
    provider.calls.length = 0;
    stack.events.length = 0;
    provider.reply = echoReply;
  });

  it('turns JSON into protobuf and back, carrying the request id everywhere', async () => {
    const res = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .set('X-Request-Id', 'it-happy-1')
      .send({ inputText: 'Wie geht es dir? 🤖', maxTokens: 40, temperature: 0 })
      .expect(200);

    expect(res.body).toEqual({
      response: 'You said: Wie geht es dir? 🤖',
      model: 'scripted-model',
      stopReason: 'end_turn',
      usage: { inputTokens: 17, outputTokens: 5 },
      latencyMs: expect.any(Number),
      requestId: 'it-happy-1',
    });
    expect(res.headers['x-request-id']).toBe('it-happy-1');
    expect(provider.calls).toEqual([
      { messages: [{ role: 'user', content: 'Wie geht es dir? 🤖' }], maxTokens: 40, temperature: 0 },
    ]);

    // The Lambda saw what API Gateway sends for a binary media type, with the id in the protobuf.
    const [event] = stack.events;
    expect(event).toMatchObject({
      resource: '/generate',
      httpMethod: 'POST',
      isBase64Encoded: true,
      requestContext: { path: '/local/generate', stage: 'local', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event?.headers['Content-Type']).toBe('application/x-protobuf');
    const sent = llm.v1.GenerateRequest.decode(Buffer.from(event?.body ?? '', 'base64'));
    expect(sent.requestId).toBe('it-happy-1');

    // And the Lambda's log line carries it too.
    const logged = lambdaLines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'generated');
    expect(logged).toMatchObject({
      level: 'INFO',
      service: 'llm-lambda',
      requestId: 'it-happy-1',
      apiGatewayRequestId: event?.requestContext.requestId,
      model: 'scripted-model',
      inputTokens: 17,
    });
  });

  it('generates a request id when none (or a malformed one) is given', async () => {
    const res = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .set('X-Request-Id', 'spaces are not allowed')
      .send({ messages: [{ role: 'user', content: 'Q1' }], system: 'Be terse', topP: 0.8 })
      .expect(200);
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(llm.v1.GenerateRequest.decode(Buffer.from(stack.events[0]?.body ?? '', 'base64')).requestId).toBe(
      res.body.requestId,
    );
    expect(provider.calls[0]).toEqual({
      messages: [{ role: 'user', content: 'Q1' }],
      system: 'Be terse',
      maxTokens: 150,
      temperature: 0.7,
      topP: 0.8,
    });
  });

  it('reuses one kept-alive connection to the gateway', async () => {
    let connections = 0;
    const count = () => connections++;
    stack.gatewayServer.on('connection', count);
    try {
      for (let i = 0; i < 5; i++) {
        await request(stack.serviceUrl)
          .post('/api/v1/generate')
          .send({ inputText: `n${i}` })
          .expect(200);
      }
    } finally {
      stack.gatewayServer.off('connection', count);
    }
    expect(connections).toBeLessThanOrEqual(1);
  });

  it('answers 400 naming the field, without calling the gateway', async () => {
    const res = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .send({ inputText: 'hi', temperature: 7 })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(res.body.error.message).toMatch(/^Invalid request body: temperature: /);
    expect(stack.events).toHaveLength(0);
  });

  it("answers 400 with the Lambda's own verdict, not retried", async () => {
    const messages = [
      { role: 'user', content: 'x'.repeat(20_000) },
      { role: 'assistant', content: 'y'.repeat(20_000) },
    ];
    const res = await request(stack.serviceUrl).post('/api/v1/generate').send({ messages }).expect(400);
    expect(res.body.error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'input is 40000 characters; the limit is 32000',
      details: { retryable: false },
    });
    expect(stack.events).toHaveLength(1);
  });

  it('answers 413 over the body limit and 415 for another content type', async () => {
    const big = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .send({ inputText: 'x'.repeat(70 * 1024) })
      .expect(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const text = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .set('Content-Type', 'text/plain')
      .send('inputText=hi')
      .expect(415);
    expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(stack.events).toHaveLength(0);
  });

  it('answers 502 for a permanent model error, without retrying', async () => {
    provider.reply = failing(
      new UpstreamError(403, 'ACCESS_DENIED', 'Bedrock: You do not have access to the model', false),
    );
    const res = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .send({ inputText: 'hi' })
      .expect(502);
    expect(res.body.error).toEqual({
      code: 'ACCESS_DENIED',
      message: 'Upstream failed (403 ACCESS_DENIED): Bedrock: You do not have access to the model',
      details: { retryable: false },
    });
    expect(provider.calls).toHaveLength(1);
  });

  it('retries a transient failure once, succeeds, and counts the retry in /metrics', async () => {
    const before = await metric(stack, /^llm_service_upstream_retries_total\{code="THROTTLED"\}/);
    let n = 0;
    provider.reply = (input) =>
      ++n <= 1
        ? Promise.reject(new UpstreamError(429, 'THROTTLED', 'Bedrock: Too many requests', true))
        : echoReply(input);
    await request(stack.serviceUrl).post('/api/v1/generate').send({ inputText: 'hi' }).expect(200);
    expect(provider.calls).toHaveLength(2);
    expect(await metric(stack, /^llm_service_upstream_retries_total\{code="THROTTLED"\}/)).toBe(before + 1);
    expect(
      await metric(
        stack,
        /^llm_service_http_requests_total\{method="POST",route="\/api\/v1\/generate",status="200"\}/,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await metric(stack, /^llm_service_upstream_request_duration_seconds_count\{outcome="THROTTLED"\}/),
    ).toBe(1);
  });

  it('retries at most once: a second failure is the answer', async () => {
    provider.reply = failing(new UpstreamError(429, 'THROTTLED', 'Bedrock: Too many requests', true));
    const res = await request(stack.serviceUrl)
      .post('/api/v1/generate')
      .send({ inputText: 'hi' })
      .expect(502);
    expect(res.body.error).toMatchObject({ code: 'THROTTLED', details: { retryable: true } });
    expect(provider.calls).toHaveLength(2);
  });

  it('is ready while the gateway answers', async () => {
    await request(stack.serviceUrl).get('/ready').expect(200, { status: 'ready' });
  });
});

describe('cloud path: timeouts', () => {
  it('answers 504 within the service timeout when the model outlives it: the inner hop gives up first, no retry', async () => {
    const provider = new ScriptedProvider();
    provider.reply = slowReply;
    const stack = await startCloudStack({ provider, service: { timeoutMs: 1_500 } });
    try {
      const started = Date.now();
      const res = await request(stack.serviceUrl)
        .post('/api/v1/generate')
        .send({ inputText: 'hi' })
        .expect(504);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(res.body.error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', details: { retryable: true } });
      // The gateway's integration timeout, shortened by the service's deadline, answered.
      expect(res.body.error.message).toMatch(/Endpoint request timed out/);
      expect(provider.calls).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });

  it("answers 504 when the gateway's integration times out", async () => {
    const provider = new ScriptedProvider();
    provider.reply = slowReply;
    const stack = await startCloudStack({
      provider,
      gatewayTimeoutMs: 1_000,
      service: { retry: { retries: 0, baseMs: 1, maxMs: 1, minAttemptMs: 50 } },
    });
    try {
      const res = await request(stack.serviceUrl)
        .post('/api/v1/generate')
        .send({ inputText: 'hi' })
        .expect(504);
      expect(res.body.error.code).toBe('UPSTREAM_TIMEOUT');
      expect(res.body.error.message).toMatch(/Endpoint request timed out/);
    } finally {
      await stack.close();
    }
  });
});

describe('cloud path: circuit breaker', () => {
  it('opens after repeated failures (503 without calling), half-opens, and closes after recovery', async () => {
    const provider = new ScriptedProvider();
    provider.reply = failing(unavailable());
    const stack = await startCloudStack({
      provider,
      service: {
        retry: { retries: 1, baseMs: 1, maxMs: 5, minAttemptMs: 50 },
        circuit: { errorThresholdPercent: 50, volumeThreshold: 4, windowMs: 10_000, resetMs: 400 },
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await request(stack.serviceUrl).post('/api/v1/generate').send({ inputText: 'hi' });
        expect(res.status).toBe(502);
        expect(res.body.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', details: { retryable: true } });
      }
      expect(provider.calls).toHaveLength(4);
      expect(await metric(stack, /^llm_service_upstream_circuit_state /)).toBe(2);

      const open = await request(stack.serviceUrl)
        .post('/api/v1/generate')
        .send({ inputText: 'hi' })
        .expect(503);
      expect(open.body.error).toMatchObject({ code: 'CIRCUIT_OPEN', details: { retryable: true } });
      expect(open.headers['retry-after']).toBe('1');
      expect(provider.calls).toHaveLength(4);

      provider.reply = echoReply;
      // Half-open after resetMs, on the breaker's own timer: wait for the state, not for a guess of the time.
      await until(
        () => metric(stack, /^llm_service_upstream_circuit_state /),
        (state) => state === 1,
        { intervalMs: 50, what: 'circuit state 1 (half-open)' },
      );
      await request(stack.serviceUrl).post('/api/v1/generate').send({ inputText: 'probe' }).expect(200);
      expect(await metric(stack, /^llm_service_upstream_circuit_state /)).toBe(0);
      await request(stack.serviceUrl).post('/api/v1/generate').send({ inputText: 'again' }).expect(200);
      expect(await metric(stack, /^llm_service_upstream_circuit_rejections_total /)).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it('counts a gateway that cannot be reached as a retryable 502, and is not ready', async () => {
    const parked = await listen((_req, res) => res.end());
    await close(parked.server);
    const stack = await startCloudStack({ service: { gatewayUrl: parked.url } });
    try {
      const res = await request(stack.serviceUrl)
        .post('/api/v1/generate')
        .send({ inputText: 'hi' })
        .expect(502);
      expect(res.body.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', details: { retryable: true } });
      expect(res.body.error.message).toMatch(/ECONNREFUSED/);
      expect(await metric(stack, /^llm_service_upstream_retries_total\{code="UPSTREAM_UNAVAILABLE"\}/)).toBe(
        1,
      );
      await request(stack.serviceUrl).get('/ready').expect(503);
    } finally {
      await stack.close();
    }
  });
});
