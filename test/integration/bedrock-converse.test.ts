/**
 * The real @aws-sdk/client-bedrock-runtime, configured as the Lambda configures it, against a local server that
 * speaks Bedrock's Converse wire format; driven through the real Lambda handler.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createHandler } from '../../lambda/handler';
import type { InvocationContext } from '../../lambda/handler';
import { createBedrockProvider } from '../../lambda/providers';
import { createBedrockClient } from '../../lambda/providers/bedrock';
import { llm } from '../../src/generated/llm';
import { protobufBody, restEvent, userRequest } from '../fixtures/apigw-events';
import { FakeBedrock } from '../fixtures/bedrock-server';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const config = loadLambdaConfig({ MODEL_PROVIDER: 'bedrock' });
const logger = new Logger({ logLevel: 'SILENT' });

let bedrock: FakeBedrock;
let endpoint: string;

beforeEach(async () => {
  bedrock = new FakeBedrock();
  endpoint = await bedrock.start();
});
afterEach(() => bedrock.stop());

function handlerFor({ timeoutMs = 2_000, maxAttempts = 3 } = {}) {
  const client = createBedrockClient({
    region: 'eu-west-1',
    timeoutMs,
    maxAttempts,
    endpoint,
    credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
  });
  const handler = createHandler({
    provider: createBedrockProvider({ client, modelId: MODEL }),
    config,
    logger,
  });
  return { handler, client };
}

async function invoke(
  handler: ReturnType<typeof handlerFor>['handler'],
  content = 'What is Temporal?',
  context?: InvocationContext,
) {
  const result = await handler(
    restEvent(protobufBody(userRequest(content, { requestId: 'br-1', system: 'Be brief', maxTokens: 64 }))),
    context,
  );
  const bytes = Buffer.from(result.body, 'base64');
  return { status: result.statusCode, bytes };
}

const errorOf = (bytes: Buffer) => llm.v1.ErrorResponse.decode(bytes);

describe('Bedrock Converse through the real SDK', () => {
  it('answers with the text, stop reason and token usage, from a signed Converse request', async () => {
    bedrock.then({ reply: 'Temporal runs durable workflows.', stopReason: 'end_turn' });
    const { handler, client } = handlerFor();
    const { status, bytes } = await invoke(handler);
    client.destroy();

    expect(status).toBe(200);
    expect(llm.v1.GenerateResponse.decode(bytes)).toMatchObject({
      requestId: 'br-1',
      text: 'Temporal runs durable workflows.',
      model: MODEL,
      stopReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 4 },
    });
    const [call] = bedrock.calls;
    expect(call?.modelId).toBe(MODEL);
    expect(call?.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'What is Temporal?' }] }],
      system: [{ text: 'Be brief' }],
      inferenceConfig: { maxTokens: 64 },
    });
    expect(call?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKE\/\d{8}\/eu-west-1\/bedrock\/aws4_request/,
    );
  });

  it('retries throttling and then succeeds', async () => {
    bedrock.then({ error: 'ThrottlingException' }, { reply: 'after a pause' });
    const { handler, client } = handlerFor();
    const { status, bytes } = await invoke(handler);
    client.destroy();
    expect(status).toBe(200);
    expect(llm.v1.GenerateResponse.decode(bytes).text).toBe('after a pause');
    expect(bedrock.calls).toHaveLength(2);
  });

  it('answers 429 THROTTLED (retryable) once the attempts are spent', async () => {
    bedrock.then({ error: 'ThrottlingException' }, { error: 'ThrottlingException' });
    const { handler, client } = handlerFor({ maxAttempts: 2 });
    const { status, bytes } = await invoke(handler);
    client.destroy();
    expect(status).toBe(429);
    expect(errorOf(bytes)).toMatchObject({ code: 'THROTTLED', retryable: true, requestId: 'br-1' });
    expect(bedrock.calls).toHaveLength(2);
  });

  it.each([
    [{ 'retry-after': '3' }, 3_000],
    [{ 'x-amz-retry-after': '2500' }, 2_500],
    [{}, 0],
  ])("passes throttling's wait hint %p on in the ErrorResponse (retryAfterMs %i)", async (headers, wait) => {
    bedrock.then({ error: 'ThrottlingException', headers });
    const { handler, client } = handlerFor({ maxAttempts: 1 });
    const { status, bytes } = await invoke(handler);
    client.destroy();
    expect(status).toBe(429);
    expect(errorOf(bytes)).toMatchObject({ code: 'THROTTLED', retryable: true, retryAfterMs: wait });
  });

  it.each([
    ['ValidationException', 400, 'INVALID_REQUEST'],
    ['AccessDeniedException', 403, 'ACCESS_DENIED'],
    ['ResourceNotFoundException', 404, 'MODEL_NOT_FOUND'],
  ] as const)('does not retry %s: %i %s, not retryable', async (error, statusCode, code) => {
    bedrock.then({ error });
    const { handler, client } = handlerFor();
    const { status, bytes } = await invoke(handler);
    client.destroy();
    expect(status).toBe(statusCode);
    expect(errorOf(bytes)).toMatchObject({ code, retryable: false, message: `Bedrock: fake ${error}` });
    expect(bedrock.calls).toHaveLength(1);
  });

  it.each([
    ['ServiceUnavailableException', 503, 'UPSTREAM_UNAVAILABLE'],
    ['InternalServerException', 502, 'UPSTREAM_ERROR'],
  ] as const)('retries %s, then answers %i %s, retryable', async (error, statusCode, code) => {
    bedrock.then({ error }, { error });
    const { handler, client } = handlerFor({ maxAttempts: 2 });
    const { status, bytes } = await invoke(handler);
    client.destroy();
    expect(status).toBe(statusCode);
    expect(errorOf(bytes)).toMatchObject({ code, retryable: true });
    expect(bedrock.calls).toHaveLength(2);
  });

  it('gives up on a reply slower than the timeout: 504 UPSTREAM_TIMEOUT, retryable', async () => {
    bedrock.then({ delayMs: 1_500 }, { delayMs: 1_500 });
    const { handler, client } = handlerFor({ timeoutMs: 300, maxAttempts: 2 });
    const started = Date.now();
    const { status, bytes } = await invoke(handler);
    client.destroy();
    expect(status).toBe(504);
    expect(errorOf(bytes)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    // The SDK retried the timed-out attempt once (maxAttempts 2), and each waited about the timeout.
    expect(bedrock.calls).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("stops before the invocation's deadline instead of retrying past it", async () => {
    bedrock.then({ delayMs: 1_500 });
    const { handler, client } = handlerFor({ timeoutMs: 5_000, maxAttempts: 3 });
    const started = Date.now();
    const { status, bytes } = await invoke(handler, 'hi', {
      awsRequestId: 'deadline',
      getRemainingTimeInMillis: () => 800,
    });
    client.destroy();
    expect(status).toBe(504);
    expect(errorOf(bytes)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    expect(bedrock.calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
