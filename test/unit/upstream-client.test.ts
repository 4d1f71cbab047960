import { llm } from '../../src/generated/llm';
import { createUpstreamClient } from '../../src/llm-service/upstream-client';
import type { UpstreamRequest } from '../../src/llm-service/upstream-client';
import { TimeoutError } from '../../src/llm-service/http-transport';
import { REQUEST_TIMEOUT_HEADER } from '../../src/contracts/deadline';
import { UpstreamError } from '../../src/contracts/errors';
import type { HttpRequest, HttpTransport } from '../../src/llm-service/http-transport';

const request: UpstreamRequest = {
  requestId: 'r-1',
  messages: [{ role: 'user', content: 'Hi ✨' }],
  maxTokens: 50,
  temperature: 0,
};

function protobuf(status: number, bytes: Uint8Array): Response {
  return new Response(bytes, { status, headers: { 'Content-Type': 'application/x-protobuf' } });
}

function errorReply(status: number, code: string, message: string, retryable: boolean): Response {
  return protobuf(
    status,
    llm.v1.ErrorResponse.encode({ code, message, retryable, requestId: 'r-1' }).finish(),
  );
}

/** A transport answering with a fetch `Response`, which is the handiest way to write replies. */
function clientAnswering(reply: () => Promise<Response>) {
  const calls: HttpRequest[] = [];
  const transport: HttpTransport = async (req) => {
    calls.push(req);
    const res = await reply();
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: new Uint8Array(await res.arrayBuffer()),
    };
  };
  const upstream = createUpstreamClient({ baseUrl: 'http://gw.test/prod/', transport });
  const client = { ...upstream, generate: (req: UpstreamRequest) => upstream.generate(req, inOneSecond()) };
  return { client, upstream, calls };
}

const inOneSecond = () => ({ deadline: Date.now() + 1000 });

describe('upstream client', () => {
  it('POSTs an encoded GenerateRequest and decodes the GenerateResponse', async () => {
    const response = llm.v1.GenerateResponse.encode({
      requestId: 'r-1',
      text: 'Hello',
      model: 'm',
      stopReason: 'end_turn',
      usage: { inputTokens: 5, outputTokens: 1 },
      latencyMs: 12,
    }).finish();
    const { client, calls } = clientAnswering(async () => protobuf(200, response));
    await expect(client.generate(request)).resolves.toEqual({
      requestId: 'r-1',
      text: 'Hello',
      model: 'm',
      stopReason: 'end_turn',
      inputTokens: 5,
      outputTokens: 1,
      latencyMs: 12,
    });
    expect(calls[0]).toMatchObject({
      url: 'http://gw.test/prod/generate',
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'X-Request-Id': 'r-1' },
    });
    // It waits until the deadline, and tells the gateway so.
    const { timeoutMs, headers } = calls[0]!;
    expect(timeoutMs).toBeGreaterThan(950);
    expect(timeoutMs).toBeLessThanOrEqual(1000);
    expect(headers[REQUEST_TIMEOUT_HEADER]).toBe(String(timeoutMs));
    const sent = llm.v1.GenerateRequest.decode(calls[0]!.body!);
    expect(sent).toMatchObject({
      requestId: 'r-1',
      maxTokens: 50,
      temperature: 0,
      messages: [{ role: 1, content: 'Hi ✨' }],
    });
    expect(sent.topP ?? undefined).toBeUndefined();
  });

  const json = (status: number, message: string) =>
    new Response(JSON.stringify({ message }), { status, headers: { 'Content-Type': 'application/json' } });

  it.each([
    [
      'a Lambda 400',
      400,
      'INVALID_REQUEST',
      false,
      () => errorReply(400, 'INVALID_REQUEST', 'no messages', false),
    ],
    ['a Lambda 429', 502, 'THROTTLED', true, () => errorReply(429, 'THROTTLED', 'slow down', true)],
    [
      'a Lambda 403',
      502,
      'ACCESS_DENIED',
      false,
      () => errorReply(403, 'ACCESS_DENIED', 'Bedrock: no access to the model', false),
    ],
    ["the gateway's own 429", 502, 'THROTTLED', true, () => json(429, 'Too Many Requests')],
    [
      'a Lambda 504',
      504,
      'UPSTREAM_TIMEOUT',
      true,
      () => errorReply(504, 'UPSTREAM_TIMEOUT', 'model timed out', true),
    ],
    [
      'a Lambda 503',
      502,
      'UPSTREAM_UNAVAILABLE',
      true,
      () => errorReply(503, 'UPSTREAM_UNAVAILABLE', 'down', true),
    ],
    ["the gateway's own 502", 502, 'UPSTREAM_ERROR', true, () => json(502, 'Internal server error')],
    ["the gateway's own 504", 504, 'UPSTREAM_TIMEOUT', true, () => json(504, 'Endpoint request timed out')],
    ["the gateway's own 403", 502, 'UPSTREAM_ERROR', false, () => json(403, 'Missing Authentication Token')],
    [
      'an undecodable 200',
      502,
      'BAD_UPSTREAM_RESPONSE',
      true,
      () => protobuf(200, Uint8Array.from([0x0a, 0x05])),
    ],
  ])('maps %s to %i %s (retryable: %p)', async (_name, statusCode, code, retryable, reply) => {
    const { client } = clientAnswering(async () => reply());
    const err = await client.generate(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({
      statusCode,
      code,
      retryable,
    });
  });

  it('keeps the Lambda message for 4xx', async () => {
    const { client } = clientAnswering(async () =>
      errorReply(400, 'INVALID_REQUEST', 'input is too long', false),
    );
    await expect(client.generate(request)).rejects.toThrow(/^input is too long$/);
  });

  it('names the upstream status in the message of a non-400 ErrorResponse', async () => {
    const { client } = clientAnswering(async () => errorReply(403, 'ACCESS_DENIED', 'no access', false));
    await expect(client.generate(request)).rejects.toThrow('Upstream failed (403 ACCESS_DENIED): no access');
  });

  it('maps a refused connection to a retryable 502 and a timeout to a retryable 504', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    await expect(
      clientAnswering(() => Promise.reject(refused)).client.generate(request),
    ).rejects.toMatchObject({
      statusCode: 502,
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    const timeout = new TimeoutError('No answer within 1000 ms');
    await expect(
      clientAnswering(() => Promise.reject(timeout)).client.generate(request),
    ).rejects.toMatchObject({
      name: 'UpstreamTimeoutError',
      statusCode: 504,
      code: 'UPSTREAM_TIMEOUT',
      retryable: true,
    });
  });

  it('sends nothing once the deadline has passed: 504 DEADLINE_EXCEEDED, retryable', async () => {
    const { upstream, calls } = clientAnswering(async () => protobuf(200, new Uint8Array()));
    await expect(upstream.generate(request, { deadline: Date.now() })).rejects.toMatchObject({
      name: 'DeadlineExceededError',
      statusCode: 504,
      code: 'DEADLINE_EXCEEDED',
      retryable: true,
    });
    expect(calls).toHaveLength(0);
  });

  it('is ready when the gateway answers its health check below 500', async () => {
    expect(await clientAnswering(async () => new Response('{}', { status: 200 })).client.isReady()).toBe(
      true,
    );
    // What a real API Gateway stage answers for a route it does not have.
    expect(
      await clientAnswering(async () => json(403, 'Missing Authentication Token')).client.isReady(),
    ).toBe(true);
    expect(await clientAnswering(async () => new Response('', { status: 500 })).client.isReady()).toBe(false);
    expect(await clientAnswering(() => Promise.reject(new TypeError('fetch failed'))).client.isReady()).toBe(
      false,
    );
  });
});
