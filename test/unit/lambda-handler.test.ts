import { Logger } from '@aws-lambda-powertools/logger';
import { llm } from '../../src/generated/llm';
import { UpstreamError } from '../../src/contracts/errors';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createHandler } from '../../lambda/handler';
import type { GenerateInput, ModelProvider } from '../../lambda/providers';
import type { ProxyResult } from '../../lambda/handler';
import { createOllamaProvider } from '../../lambda/providers';
import { createOllamaClient } from '../../src/models/ollama-client';
import { httpApiEvent, protobufBody, restEvent, textBody, userRequest } from '../fixtures/apigw-events';
import { FakeOllama } from '../fixtures/ollama-server';
import { BASE_TEMPLATE } from '../helpers/ollama-client';

const config = loadLambdaConfig({ MAX_INPUT_CHARS: '100', DEFAULT_MAX_TOKENS: '64' });
const logger = new Logger({ logLevel: 'SILENT' });

function fakeProvider(impl?: (input: GenerateInput) => Promise<never>) {
  const calls: GenerateInput[] = [];
  const provider: ModelProvider = {
    name: 'fake',
    async generate(input) {
      calls.push(input);
      if (impl) return impl(input);
      return {
        text: `echo: ${input.messages.at(-1)?.content}`,
        model: 'fake-model',
        stopReason: 'end_turn',
        inputTokens: 7,
        outputTokens: 3,
      };
    },
  };
  return { provider, calls };
}

function expectProtobuf(result: ProxyResult, status: number) {
  expect(result.statusCode).toBe(status);
  expect(result.isBase64Encoded).toBe(true);
  expect(result.headers?.['Content-Type']).toBe('application/x-protobuf');
  return Buffer.from(result.body, 'base64');
}

function decodeError(result: ProxyResult, status: number) {
  return llm.v1.ErrorResponse.decode(expectProtobuf(result, status));
}

describe('lambda handler', () => {
  it('answers a REST (v1) event with a base64 GenerateResponse', async () => {
    const { provider, calls } = fakeProvider();
    const handler = createHandler({ provider, config, logger });
    const result = await handler(
      restEvent(
        protobufBody(userRequest('Hello 🌍', { requestId: 'svc-1', system: 'Be brief', temperature: 0 })),
      ),
    );
    const response = llm.v1.GenerateResponse.decode(expectProtobuf(result, 200));
    expect(response).toMatchObject({
      requestId: 'svc-1',
      text: 'echo: Hello 🌍',
      model: 'fake-model',
      stopReason: 'end_turn',
      usage: { inputTokens: 7, outputTokens: 3 },
    });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
    expect(calls).toEqual([
      {
        messages: [{ role: 'user', content: 'Hello 🌍' }],
        system: 'Be brief',
        maxTokens: 64,
        temperature: 0,
      },
    ]);
  });

  it('answers an HTTP API (v2) event and takes the request id from its requestContext', async () => {
    const handler = createHandler({ ...fakeProvider(), config, logger });
    const result = await handler(httpApiEvent(protobufBody(userRequest('Hi', { maxTokens: 10 })), 'v2-req'));
    const response = llm.v1.GenerateResponse.decode(expectProtobuf(result, 200));
    expect(response.requestId).toBe('v2-req');
    expect(result.headers?.['X-Request-Id']).toBe('v2-req');
  });

  it('passes multi-turn history, topP and the model override to the provider', async () => {
    const { provider, calls } = fakeProvider();
    const handler = createHandler({ provider, config, logger });
    const request = {
      messages: [
        { role: llm.v1.Role.ROLE_USER, content: 'Q1' },
        { role: llm.v1.Role.ROLE_ASSISTANT, content: 'A1' },
        { role: llm.v1.Role.ROLE_USER, content: 'Q2' },
      ],
      topP: 0.5,
      model: 'other-model',
    };
    expectProtobuf(await handler(restEvent(protobufBody(request))), 200);
    expect(calls[0]).toEqual({
      messages: [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' },
      ],
      maxTokens: 64,
      topP: 0.5,
      model: 'other-model',
    });
  });

  it.each([
    ['a short request (its bytes happen to be valid UTF-8)', userRequest('raw')],
    ['a request with a 200-character message', userRequest('x'.repeat(200))],
  ])(
    'refuses a text body (isBase64Encoded false) with 415 naming the binary media type: %s',
    async (_name, request) => {
      const { provider, calls } = fakeProvider();
      const handler = createHandler({ provider, config, logger });
      for (const event of [restEvent(textBody(request)), httpApiEvent(textBody(request))]) {
        const error = decodeError(await handler(event), 415);
        expect(error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', retryable: false });
        expect(error.message).toMatch(/binary media type application\/x-protobuf/);
      }
      expect(calls).toHaveLength(0);
    },
  );

  it.each([
    ['an empty body', { body: '', isBase64Encoded: true }, /body is empty/],
    ['a null body', { body: null, isBase64Encoded: false }, /body is empty/],
    ['invalid base64', { body: 'not base64!!', isBase64Encoded: true }, /not valid base64/],
    ['base64 with bad padding', { body: 'QUJDRA=', isBase64Encoded: true }, /not valid base64/],
    [
      'garbage protobuf',
      { body: Buffer.from([0xff, 0xff, 0xff, 0xff]).toString('base64'), isBase64Encoded: true },
      /not a valid protobuf/,
    ],
  ])('rejects %s with 400 INVALID_REQUEST', async (_name, body, message) => {
    const { provider, calls } = fakeProvider();
    const handler = createHandler({ provider, config, logger });
    const error = decodeError(await handler(restEvent(body, 'bad-1')), 400);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false, requestId: 'bad-1' });
    expect(error.message).toMatch(message);
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['a JSON content type (v1 header case)', { 'Content-Type': 'application/json' }],
    ['a text content type (v2 header case)', { 'content-type': 'text/plain; charset=utf-8' }],
  ])('rejects %s with 415', async (_name, headers) => {
    const { provider, calls } = fakeProvider();
    const handler = createHandler({ provider, config, logger });
    const event = { ...restEvent({ body: '{"inputText":"hi"}', isBase64Encoded: false }), headers };
    const error = decodeError(await handler(event), 415);
    expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(error.message).toMatch(/application\/x-protobuf/);
    expect(calls).toHaveLength(0);
  });

  it('rejects protobuf strings that are not valid UTF-8, and keeps a real U+FFFD', async () => {
    const handler = createHandler({ ...fakeProvider(), config, logger });
    const good = Buffer.from(llm.v1.GenerateRequest.encode(userRequest('ab')).finish());
    const bad = Buffer.from(good);
    bad[bad.length - 1] = 0xff;
    const body = { body: bad.toString('base64'), isBase64Encoded: true };
    expect(decodeError(await handler(restEvent(body)), 400).message).toMatch(
      /not a valid protobuf llm.v1.GenerateRequest: .*utf-8/,
    );
    expectProtobuf(await handler(restEvent(protobufBody(userRequest('a \uFFFD b')))), 200);
  });

  it.each([
    ['a null event', null],
    ['a body that is not a string', { body: 42, isBase64Encoded: false }],
  ])('answers %s with 400 instead of throwing', async (_name, event) => {
    const handler = createHandler({ ...fakeProvider(), config, logger });
    const result = await handler(event as unknown as Parameters<typeof handler>[0]);
    expect(result.statusCode).toBe(400);
  });

  it('gives the provider a signal that aborts before the invocation deadline', async () => {
    let signal: AbortSignal | undefined;
    const provider: ModelProvider = {
      name: 'slow',
      generate: (_input, options) =>
        new Promise((_resolve, reject) => {
          signal = options?.signal;
          signal?.addEventListener('abort', () =>
            reject(new UpstreamError(504, 'UPSTREAM_TIMEOUT', 'Bedrock: aborted', true)),
          );
        }),
    };
    const handler = createHandler({ provider, config, logger });
    const started = Date.now();
    const result = await handler(restEvent(protobufBody(userRequest('hi'))), {
      awsRequestId: 'deadline-1',
      getRemainingTimeInMillis: () => 600,
    });
    expect(decodeError(result, 504)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(500);
    expect(signal?.aborted).toBe(true);
  });

  it('rejects a truncated GenerateRequest', async () => {
    const handler = createHandler({ ...fakeProvider(), config, logger });
    const bytes = llm.v1.GenerateRequest.encode(userRequest('a long enough question')).finish();
    const body = { body: Buffer.from(bytes.subarray(0, 8)).toString('base64'), isBase64Encoded: true };
    expect(decodeError(await handler(httpApiEvent(body)), 400).message).toMatch(/not a valid protobuf/);
  });

  it.each([
    ['no messages', { requestId: 'x' }, /messages: at least one/],
    ['empty content', userRequest('   '), /messages\[0\]\.content: must not be empty/],
    [
      'an unspecified role',
      { messages: [{ role: llm.v1.Role.ROLE_UNSPECIFIED, content: 'hi' }] },
      /messages\[0\]\.role/,
    ],
    ['oversize input', userRequest('x'.repeat(101)), /101 characters; the limit is 100/],
    [
      'oversize input counting the system prompt',
      userRequest('x'.repeat(60), { system: 'y'.repeat(41) }),
      /limit is 100/,
    ],
    [
      'a temperature above 1',
      userRequest('hi', { temperature: 1.5 }),
      /temperature: must be between 0 and 1/,
    ],
    [
      'a negative temperature',
      userRequest('hi', { temperature: -0.1 }),
      /temperature: must be between 0 and 1/,
    ],
    [
      'max_tokens above the limit',
      userRequest('hi', { maxTokens: 100_000 }),
      /max_tokens: must be at most 8192/,
    ],
  ])('rejects %s with 400', async (_name, request, message) => {
    const { provider, calls } = fakeProvider();
    const handler = createHandler({ provider, config, logger });
    const error = decodeError(await handler(restEvent(protobufBody(request))), 400);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(message);
    expect(calls).toHaveLength(0);
  });

  it.each([
    [new UpstreamError(429, 'THROTTLED', 'Bedrock: Too many requests', true), 429, true],
    [new UpstreamError(504, 'UPSTREAM_TIMEOUT', 'Bedrock: model timed out', true), 504, true],
    [new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', 'Ollama is unreachable', true), 503, true],
    [new UpstreamError(403, 'ACCESS_DENIED', 'Bedrock: no access to model', false), 403, false],
    [new UpstreamError(404, 'MODEL_NOT_FOUND', 'Ollama: model not found', false), 404, false],
  ])('answers provider error %p as an ErrorResponse', async (thrown, status, retryable) => {
    const handler = createHandler({ ...fakeProvider(() => Promise.reject(thrown)), config, logger });
    const error = decodeError(
      await handler(restEvent(protobufBody(userRequest('hi', { requestId: 'p-1' })))),
      status,
    );
    expect(error).toEqual(
      expect.objectContaining({ code: thrown.code, message: thrown.message, retryable, requestId: 'p-1' }),
    );
  });

  it('answers an unexpected provider bug with 500 INTERNAL and hides its details', async () => {
    const bug = () => Promise.reject(new TypeError('cannot read properties of undefined (secret)'));
    const handler = createHandler({ ...fakeProvider(bug), config, logger });
    const error = decodeError(await handler(restEvent(protobufBody(userRequest('hi')))), 500);
    expect(error).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect(error.message).not.toMatch(/secret/);
  });

  it('falls back to the Lambda context request id when the event has none', async () => {
    const handler = createHandler({ ...fakeProvider(), config, logger });
    const event = { body: '', isBase64Encoded: true } as unknown as Parameters<typeof handler>[0];
    const error = decodeError(await handler(event, { awsRequestId: 'lambda-req' }), 400);
    expect(error.requestId).toBe('lambda-req');
  });
});

describe('lambda config', () => {
  it('has the documented defaults', () => {
    expect(loadLambdaConfig({})).toEqual({
      MODEL_PROVIDER: 'ollama',
      BEDROCK_MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0',
      AWS_REGION: 'us-east-1',
      OLLAMA_HOST: 'http://127.0.0.1:11434',
      OLLAMA_MODEL: 'gemma3:270m',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      OPENAI_MODEL: 'gemma3:270m',
      OPENAI_API: 'chat',
      MAX_INPUT_CHARS: 32000,
      DEFAULT_MAX_TOKENS: 150,
      BEDROCK_TIMEOUT_MS: 20000,
      BEDROCK_MAX_ATTEMPTS: 1,
    });
  });

  it.each([
    [{ MODEL_PROVIDER: 'vertex' }, 'MODEL_PROVIDER'],
    [{ MAX_INPUT_CHARS: 'lots' }, 'MAX_INPUT_CHARS'],
    [{ DEFAULT_MAX_TOKENS: '0' }, 'DEFAULT_MAX_TOKENS'],
    [{ OLLAMA_HOST: 'localhost:11434' }, 'OLLAMA_HOST'],
    [{ BEDROCK_TIMEOUT_MS: '10' }, 'BEDROCK_TIMEOUT_MS'],
    [{ BEDROCK_MAX_ATTEMPTS: '0' }, 'BEDROCK_MAX_ATTEMPTS'],
    // One inner retry owner: at most one SDK retry, and only with the REST service's off.
    [{ BEDROCK_MAX_ATTEMPTS: '3' }, 'BEDROCK_MAX_ATTEMPTS'],
  ])('rejects %p naming %s', (env, name) => {
    expect(() => loadLambdaConfig(env)).toThrow(new RegExp(`^Invalid Lambda configuration: ${name}:`));
  });
});

describe('the request id on the way to the model server', () => {
  it('sends the caller’s request id on to Ollama as X-Request-Id, and API Gateway’s when the caller gave none', async () => {
    const fake = new FakeOllama({ template: BASE_TEMPLATE });
    const provider = createOllamaProvider({ client: createOllamaClient(await fake.start()), model: 'm' });
    const handler = createHandler({ provider, config, logger });
    try {
      const withId = await handler(
        restEvent(protobufBody(userRequest('hi', { requestId: 'wf-1:7:2' })), 'apigw-1'),
        undefined,
      );
      expect(withId.statusCode).toBe(200);
      const withoutId = await handler(restEvent(protobufBody(userRequest('hi')), 'apigw-2'), undefined);
      expect(withoutId.statusCode).toBe(200);
      expect(fake.log.requestIds).toEqual(['wf-1:7:2', 'apigw-2']);
    } finally {
      await fake.stop();
    }
  });
});
