import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { loadLambdaConfig } from '../../lambda/config';
import { createHandler } from '../../lambda/handler';
import type { GenerateInput, GenerateOutput, ModelProvider } from '../../lambda/providers';
import { createGatewayApp } from '../../src/gateway/app';
import { createApp } from '../../src/llm-service/app';
import { createUpstreamClient } from '../../src/llm-service/upstream-client';
import { UpstreamError } from '../../src/shared/errors';
import { createLogger } from '../../src/shared/logger';

type Reply = (input: GenerateInput) => Promise<GenerateOutput>;

const echoReply: Reply = async (input) => ({
  text: `You said: ${input.messages.at(-1)?.content}`,
  model: 'scripted-model',
  stopReason: 'end_turn',
  inputTokens: 17,
  outputTokens: 5,
});

/** A scripted model: answers with `reply`, records what it was asked. */
const calls: GenerateInput[] = [];
let reply: Reply = echoReply;
const provider: ModelProvider = {
  name: 'scripted',
  generate: (input) => {
    calls.push(input);
    return reply(input);
  },
};

const events: APIGatewayProxyEvent[] = [];
const lambda = createHandler({
  provider,
  config: loadLambdaConfig({}),
  logger: new Logger({ logLevel: 'SILENT' }),
});
const logger = createLogger('cloud-path-test', 'silent');

let gateway: Server;
let llmService: ReturnType<typeof createApp>;

beforeAll(async () => {
  const gatewayApp = createGatewayApp({
    logger,
    handler: async (event, context) => {
      events.push(event);
      return lambda(event, context);
    },
  });
  gateway = await new Promise<Server>((resolve) => {
    const server = gatewayApp.listen(0, '127.0.0.1', () => resolve(server));
  });
  const { port } = gateway.address() as AddressInfo;
  const upstream = createUpstreamClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
  llmService = createApp({ upstream, logger });
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => gateway.close((err) => (err ? reject(err) : resolve())));
});

beforeEach(() => {
  events.length = 0;
  calls.length = 0;
  reply = echoReply;
});

describe('cloud path: llm-service → gateway → Lambda handler', () => {
  it('turns JSON into protobuf and back', async () => {
    const res = await request(llmService)
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
    expect(calls).toEqual([
      { messages: [{ role: 'user', content: 'Wie geht es dir? 🤖' }], maxTokens: 40, temperature: 0 },
    ]);

    // The Lambda saw what API Gateway sends for a binary media type.
    const [event] = events;
    expect(event).toMatchObject({
      resource: '/generate',
      path: '/generate',
      httpMethod: 'POST',
      isBase64Encoded: true,
      queryStringParameters: null,
      requestContext: {
        httpMethod: 'POST',
        path: '/local/generate',
        stage: 'local',
        resourcePath: '/generate',
        identity: { sourceIp: '127.0.0.1' },
      },
    });
    // REST APIs keep header names as the client sent them.
    expect(event?.headers['Content-Type']).toBe('application/x-protobuf');
    expect(event?.multiValueHeaders['X-Request-Id']).toEqual(['it-happy-1']);
    expect(event?.headers['X-Forwarded-For']).toBe('127.0.0.1');
    expect(event?.body).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(event?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('carries the chat body with history and a system prompt', async () => {
    const messages = [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Q2' },
    ];
    await request(llmService)
      .post('/api/v1/generate')
      .send({ messages, system: 'Be terse', topP: 0.8 })
      .expect(200);
    expect(calls[0]).toEqual({
      messages,
      system: 'Be terse',
      maxTokens: 150,
      temperature: 0.7,
      topP: 0.8,
    });
  });

  it('propagates a non-retryable ErrorResponse as its 4xx', async () => {
    reply = () =>
      Promise.reject(
        new UpstreamError(403, 'ACCESS_DENIED', 'Bedrock: You do not have access to the model', false),
      );
    const res = await request(llmService).post('/api/v1/generate').send({ inputText: 'hi' }).expect(403);
    expect(res.body).toEqual({
      error: {
        code: 'ACCESS_DENIED',
        message: 'Bedrock: You do not have access to the model',
        details: { retryable: false },
      },
    });
  });

  it('propagates a retryable model failure as 502 and a model timeout as 504', async () => {
    reply = () =>
      Promise.reject(new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', 'Ollama is unreachable', true));
    const unavailable = await request(llmService)
      .post('/api/v1/generate')
      .send({ inputText: 'hi' })
      .expect(502);
    expect(unavailable.body.error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { retryable: true },
    });
    expect(unavailable.body.error.message).toContain('Ollama is unreachable');

    reply = () =>
      Promise.reject(new UpstreamError(504, 'UPSTREAM_TIMEOUT', 'Bedrock: model timed out', true));
    const timedOut = await request(llmService).post('/api/v1/generate').send({ inputText: 'hi' }).expect(504);
    expect(timedOut.body.error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', details: { retryable: true } });
  });

  it("answers the Lambda's own validation as 400 with its message", async () => {
    const res = await request(llmService)
      .post('/api/v1/generate')
      .send({ inputText: 'x'.repeat(32_001) })
      .expect(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(calls).toHaveLength(0);
  });

  it('is ready while the gateway answers', async () => {
    await request(llmService).get('/ready').expect(200, { status: 'ready' });
  });
});
