/** The OpenAI-compatible client against a local fake server: the replies and the failures a real server rarely gives. */
import { UpstreamError } from '../../src/contracts/errors';
import { parseRetryAfter } from '../../src/contracts/retry-after';
import { createOpenAiClient } from '../../src/models/openai-client';
import { useFakeOpenAiServer } from '../fixtures/openai-server';
import { until } from '../helpers/wait';

const chat = {
  model: 'm',
  messages: [
    { role: 'system' as const, content: 'Be brief' },
    { role: 'user' as const, content: 'Hi' },
  ],
  maxTokens: 16,
};

describe('OpenAI-compatible client', () => {
  const fake = useFakeOpenAiServer();

  it('sends a chat completion with the sampling, the key and the request id, and reads text, model and usage', async () => {
    const client = createOpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'sk-test-0123456789' });
    fake.server.next({ kind: 'reply', text: ' Hello. ', finishReason: 'length' });
    await expect(
      client.chat({ ...chat, temperature: 0.3, topP: 0.8, stop: ['\n\n'] }, { requestId: 'req-1' }),
    ).resolves.toEqual({
      text: ' Hello. ',
      model: 'm',
      finishReason: 'length',
      usage: { inputTokens: 11, outputTokens: 7 },
    });
    const [call] = fake.server.received;
    expect(call!.path).toBe('/v1/chat/completions');
    expect(call!.body).toEqual({
      model: 'm',
      messages: chat.messages,
      max_tokens: 16,
      stream: false,
      temperature: 0.3,
      top_p: 0.8,
      stop: ['\n\n'],
    });
    expect(call!.headers.authorization).toBe('Bearer sk-test-0123456789');
    expect(call!.headers['x-request-id']).toBe('req-1');
  });

  it('sends a completion for a base model and sends no key when it has none', async () => {
    const client = createOpenAiClient({ baseUrl: `${fake.baseUrl}/` });
    fake.server.next({ kind: 'reply', text: ' Paris.' });
    await expect(
      client.complete({ model: 'base', prompt: 'Question: ?\nAnswer:', maxTokens: 8 }),
    ).resolves.toEqual({
      text: ' Paris.',
      model: 'base',
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 7 },
    });
    expect(fake.server.received[0]!.path).toBe('/v1/completions');
    expect(fake.server.received[0]!.body).toEqual({
      model: 'base',
      prompt: 'Question: ?\nAnswer:',
      max_tokens: 8,
      stream: false,
    });
    expect(fake.server.received[0]!.headers.authorization).toBeUndefined();
  });

  it('maps 429 to a retryable THROTTLED error with the wait Retry-After asks for', async () => {
    fake.server.next({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '7' },
      body: JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit' } }),
    });
    const err = (await createOpenAiClient({ baseUrl: fake.baseUrl, label: 'gpu-fleet' })
      .chat(chat)
      .catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ statusCode: 429, code: 'THROTTLED', retryable: true, retryAfterMs: 7000 });
    expect(err.message).toBe('gpu-fleet answered 429: Rate limit reached');
  });

  it.each([
    [500, 502, 'UPSTREAM_ERROR', true],
    [503, 503, 'UPSTREAM_UNAVAILABLE', true],
    [504, 504, 'UPSTREAM_TIMEOUT', true],
    [400, 400, 'INVALID_REQUEST', false],
    [401, 403, 'ACCESS_DENIED', false],
    [404, 404, 'MODEL_NOT_FOUND', false],
    [422, 400, 'INVALID_REQUEST', false],
  ])('maps status %i to %i %s (retryable: %p)', async (status, statusCode, code, retryable) => {
    fake.server.next({
      kind: 'status',
      status,
      body: '{"object":"error","message":"it went wrong","code":1}',
    });
    const err = await createOpenAiClient({ baseUrl: fake.baseUrl })
      .chat(chat)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode, code, retryable });
    expect((err as Error).message).toContain('it went wrong');
  });

  it('maps a body that is not JSON to a retryable BAD_UPSTREAM_RESPONSE that quotes it', async () => {
    fake.server.next({ kind: 'raw', body: '<html>Welcome to nginx</html>' });
    const err = await createOpenAiClient({ baseUrl: fake.baseUrl })
      .complete({ model: 'm', prompt: 'p', maxTokens: 4 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 502, code: 'BAD_UPSTREAM_RESPONSE', retryable: true });
    expect((err as Error).message).toContain('text/html');
    expect((err as Error).message).toContain('Welcome to nginx');
  });

  it('maps JSON without a choice to BAD_UPSTREAM_RESPONSE', async () => {
    fake.server.next({ kind: 'raw', body: '{"choices":[]}', contentType: 'application/json' });
    await expect(createOpenAiClient({ baseUrl: fake.baseUrl }).chat(chat)).rejects.toMatchObject({
      code: 'BAD_UPSTREAM_RESPONSE',
    });
  });

  it.each([
    ['sends nothing', 'silent', 'no answer'],
    ['stalls after its headers', 'stall-body', 'the reply stalled after its headers'],
  ] as const)(
    'ends a call whose server %s at the deadline, with a retryable timeout, and closes the connection',
    async (_what, kind, says) => {
      fake.server.next({ kind });
      const started = Date.now();
      const err = await createOpenAiClient({ baseUrl: fake.baseUrl })
        .chat(chat, { deadline: Date.now() + 300 })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ statusCode: 504, code: 'UPSTREAM_TIMEOUT', retryable: true });
      expect((err as Error).message).toContain(says);
      expect(Date.now() - started).toBeLessThan(5_000);
      await until(
        () => fake.server.abandoned,
        (n) => n === 1,
        { what: 'the fake server to see the request go away' },
      );
    },
  );

  it('applies its own per-call timeout when the call has no deadline', async () => {
    fake.server.next({ kind: 'silent' });
    await expect(
      createOpenAiClient({ baseUrl: fake.baseUrl, timeoutMs: 200 }).chat(chat),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
    });
  });

  it('makes no call when the deadline has passed', async () => {
    await expect(
      createOpenAiClient({ baseUrl: fake.baseUrl }).chat(chat, { deadline: Date.now() - 1 }),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
    });
    expect(fake.server.received).toHaveLength(0);
  });

  it("maps the caller's timeout signal to a timeout, and rethrows a cancellation as it is", async () => {
    fake.server.next({ kind: 'silent' }, { kind: 'silent' });
    const client = createOpenAiClient({ baseUrl: fake.baseUrl });
    await expect(client.chat(chat, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
    });
    const cancelled = new Error('activity cancelled');
    const controller = new AbortController();
    const call = client.chat(chat, { signal: controller.signal });
    await until(
      () => fake.server.received.length,
      (n) => n === 2,
    );
    controller.abort(cancelled);
    await expect(call).rejects.toBe(cancelled);
  });

  it('maps a refused connection to a retryable UPSTREAM_UNAVAILABLE', async () => {
    await fake.server.stop();
    await expect(createOpenAiClient({ baseUrl: fake.baseUrl }).chat(chat)).rejects.toMatchObject({
      statusCode: 503,
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
    });
  });

  it('never puts the API key in an error message', async () => {
    fake.server.next({ kind: 'status', status: 401, body: '{"error":{"message":"bad key"}}' });
    const err = await createOpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'sk-secret-abcdefgh' })
      .chat(chat)
      .catch((e: unknown) => e);
    expect(JSON.stringify(err)).not.toContain('sk-secret');
    expect((err as Error).message).not.toContain('sk-secret');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '250', 'retry-after': '3' }, 250],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }, 10_000],
    [{ 'x-amz-retry-after': '1500' }, 1500],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('%p → %p ms', (headers, ms) => {
    expect(parseRetryAfter(new Headers(headers), now)).toBe(ms);
    // The same from a plain object (node:http, the AWS SDK), whatever the names' case.
    const plain = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(parseRetryAfter(plain, now)).toBe(ms);
  });
});
