/**
 * Model-call spans. The Lambda handler continues the caller's trace from the API Gateway event's `traceparent` header and records
 * the Bedrock call (the real SDK against the Bedrock wire-level fake) as a GenAI span with the conversation's
 * identity from the `baggage` header. A tracer provider is registered here as the local gateway (or a Lambda layer)
 * registers one.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Info } from '@temporalio/activity';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createHandler } from '../../lambda/handler';
import { createBedrockProvider } from '../../lambda/providers';
import { createBedrockClient } from '../../lambda/providers/bedrock';
import { observeModelCall } from '../../src/conversation/activities/observe';
import { llm } from '../../src/generated/llm';
import { traceModelCall } from '../../src/shared/telemetry/model-call';
import { protobufBody, restEvent, userRequest } from '../fixtures/apigw-events';
import { FakeBedrock } from '../fixtures/bedrock-server';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

const exporter = new InMemorySpanExporter();
let bedrock: FakeBedrock;
let endpoint: string;

beforeAll(async () => {
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  bedrock = new FakeBedrock();
  endpoint = await bedrock.start();
});

afterAll(async () => {
  await bedrock.stop();
  trace.disable();
});

/** The real Bedrock client, pointed at the local Bedrock wire server. */
function fakeBedrockClient() {
  return createBedrockClient({
    region: 'eu-west-1',
    timeoutMs: 5_000,
    maxAttempts: 1,
    endpoint,
    credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
  });
}

test('the handler span continues the event trace; the Bedrock span has the GenAI attributes', async () => {
  const client = fakeBedrockClient();
  const handler = createHandler({
    provider: createBedrockProvider({ client, modelId: MODEL }),
    config: loadLambdaConfig({ MODEL_PROVIDER: 'bedrock' }),
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  const event = restEvent(
    protobufBody(userRequest('Why is the sky blue?', { maxTokens: 40, temperature: 0.2 })),
  );
  // API Gateway passes headers through in the caller's case.
  event.headers.Traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;
  event.headers.Baggage =
    'gen_ai.conversation.id=campaign-nightly-0123456789ab,conversation.turn=3,conversation.side=cloud,campaign.id=nightly';

  const result = await handler(event, { awsRequestId: 'req-1' });
  const response = llm.v1.GenerateResponse.decode(Buffer.from(result.body, 'base64'));
  expect(result.statusCode).toBe(200);

  const spans = exporter.getFinishedSpans();
  const invocation = spans.find((s) => s.name === 'lambda POST /generate')!;
  const model = spans.find((s) => s.name === `chat ${MODEL}`)!;
  expect(invocation.spanContext().traceId).toBe(TRACE_ID);
  expect(invocation.parentSpanId).toBe(PARENT_ID);
  expect(invocation.attributes['faas.invocation_id']).toBe('req-1');
  expect(model.spanContext().traceId).toBe(TRACE_ID);
  expect(model.parentSpanId).toBe(invocation.spanContext().spanId);
  expect(model.attributes).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'aws.bedrock',
    'gen_ai.system': 'aws.bedrock',
    'gen_ai.request.model': MODEL,
    'gen_ai.request.max_tokens': 40,
    'gen_ai.request.temperature': 0.2,
    'gen_ai.response.model': MODEL,
    'gen_ai.response.finish_reasons': [response.stopReason],
    'gen_ai.usage.input_tokens': response.usage!.inputTokens,
    'gen_ai.usage.output_tokens': response.usage!.outputTokens,
    'gen_ai.conversation.id': 'campaign-nightly-0123456789ab',
    'campaign.id': 'nightly',
    'conversation.turn': 3,
    'conversation.side': 'cloud',
  });
  expect(response.usage!.outputTokens).toBeGreaterThan(0);
});

test('a failed model call is an error span with the error type', async () => {
  exporter.reset();
  const client = fakeBedrockClient();
  bedrock.then({ error: 'ThrottlingException' });
  const provider = createBedrockProvider({ client, modelId: MODEL });
  await expect(
    provider.generate({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 10 }),
  ).rejects.toThrow();
  const [span] = exporter.getFinishedSpans();
  expect(span!.status.code).toBe(2);
  expect(span!.attributes['error.type']).toBe('THROTTLED');
});

test("a campaign conversation's worker-side model span names its conversation, turn and campaign", async () => {
  exporter.reset();
  const info = { workflowExecution: { workflowId: 'campaign-nightly-0123456789ab', runId: 'r' } } as Info;
  await observeModelCall(
    info,
    undefined,
    { side: 'local', provider: 'ollama', endpoint: 'local', model: 'm', turn: 2 },
    () =>
      traceModelCall(
        { provider: 'ollama', model: 'm', maxTokens: 5 },
        async () => ({ model: 'm', usage: { inputTokens: 4, outputTokens: 5 } }),
        (r) => ({ model: r.model, finishReason: 'stop', ...r.usage }),
      ),
  );
  const [span] = exporter.getFinishedSpans();
  expect(span!.attributes).toMatchObject({
    'gen_ai.conversation.id': 'campaign-nightly-0123456789ab',
    'campaign.id': 'nightly',
    'conversation.turn': 2,
    'conversation.side': 'local',
    'gen_ai.usage.output_tokens': 5,
  });
});
