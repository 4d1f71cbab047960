/**
 * The model-calling activities on an `openai` endpoint, against a local fake OpenAI-compatible server: the local
 * side's question (chat and base-model completions), the cloud side's answer, the endpoint in the metrics, and a
 * 429's Retry-After as the retry's delay.
 */
import { Registry } from 'prom-client';
import { createActivities } from '../../src/conversation/activities';
import { openAiAnswerClient } from '../../src/conversation/activities/llm-service-client';
import { openAiQuestionServer } from '../../src/conversation/activities/question-server';
import type { AskCloudInput, AskLocalInput } from '../../src/conversation/activities/types';
import { createConversationMetrics } from '../../src/conversation/metrics';
import { completionSampling, nextQuestionPrompt } from '../../src/models/base-model-prompt';
import { createOpenAiClient } from '../../src/models/openai-client';
import { LocalStore } from '../../src/output/local-store';
import { useFakeOpenAiServer } from '../fixtures/openai-server';
import { modelCallActivityEnvironment } from '../helpers/activity-environment';
import { ollamaClient } from '../helpers/ollama-client';

const fake = useFakeOpenAiServer();

function activities(api: 'chat' | 'completions') {
  const client = createOpenAiClient({ baseUrl: fake.baseUrl, label: 'endpoint fleet' });
  const metrics = createConversationMetrics(new Registry());
  const acts = createActivities({
    llmService: { client: { generate: () => Promise.reject(new Error('not the default')) }, maxTokens: 100 },
    ollama: { client: ollamaClient({}), model: 'default-local', maxTokens: 50 },
    output: { store: new LocalStore('/nonexistent') },
    metrics,
    endpoints: new Map([
      [
        'fleet',
        {
          cloud: {
            client: openAiAnswerClient(client, api, 'fleet-model'),
            provider: 'openai',
            endpoint: 'fleet',
            maxTokens: 64,
          },
          local: {
            client: openAiQuestionServer(client, api),
            model: 'fleet-model',
            maxTokens: 32,
            endpoint: 'fleet',
          },
        },
      ],
    ]),
  });
  return { acts, metrics };
}

const local: AskLocalInput = {
  question: 'Why is the sky blue?',
  answer: 'Rayleigh scattering.',
  endpoint: 'fleet',
};
const cloud: AskCloudInput = {
  messages: [{ role: 'user', content: 'Why?' }],
  system: 'Be brief',
  endpoint: 'fleet',
};

test('the local side asks a chat model on the endpoint, and its metrics name the endpoint', async () => {
  fake.server.next({ kind: 'reply', text: ' What scatters it? ' });
  const { acts, metrics } = activities('chat');
  const out = await modelCallActivityEnvironment().run(acts.askLocal, local);
  expect(out).toMatchObject({
    question: 'What scatters it?',
    model: 'fleet-model',
    usage: { inputTokens: 11 },
  });
  expect(fake.server.received[0]!.path).toBe('/v1/chat/completions');
  expect(fake.server.received[0]!.body).toMatchObject({ model: 'fleet-model', max_tokens: 32 });
  expect(await metrics.registry.metrics()).toContain(
    'llm_model_calls_total{side="local",endpoint="fleet",provider="openai",model="fleet-model",outcome="ok"} 1',
  );
});

test('the local side continues the question-and-answer transcript on a base model, through completions', async () => {
  fake.server.next({ kind: 'reply', text: ' What scatters the light? It is' });
  const { acts } = activities('completions');
  const out = await modelCallActivityEnvironment().run(acts.askLocal, local);
  expect(out).toMatchObject({ question: 'What scatters the light?' });
  const { maxTokens, temperature, topP, stop } = completionSampling({ maxTokens: 32 });
  expect(fake.server.received[0]).toMatchObject({
    path: '/v1/completions',
    body: {
      model: 'fleet-model',
      prompt: nextQuestionPrompt({ exchanges: [{ question: local.question, answer: local.answer }] }),
      max_tokens: maxTokens,
      temperature,
      top_p: topP,
      stop,
    },
  });
});

test("the cloud side's answer comes straight from the endpoint, its system prompt first", async () => {
  fake.server.next({ kind: 'reply', text: ' Because of scattering. ' });
  const { acts } = activities('chat');
  const out = await modelCallActivityEnvironment().run(acts.askCloud, cloud);
  expect(out).toMatchObject({ response: 'Because of scattering.', model: 'fleet-model' });
  expect(fake.server.received[0]!.body.messages).toEqual([
    { role: 'system', content: 'Be brief' },
    { role: 'user', content: 'Why?' },
  ]);
});

test.each([
  ['askLocal', 'LocalModelUnavailable'],
  ['askCloud', 'CloudUnavailable'],
] as const)('%s retries a 429 after the wait its Retry-After asks for', async (name, type) => {
  fake.server.next({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
  const { acts } = activities('chat');
  const run =
    name === 'askLocal'
      ? modelCallActivityEnvironment().run(acts.askLocal, local)
      : modelCallActivityEnvironment().run(acts.askCloud, cloud);
  await expect(run).rejects.toMatchObject({ type, nonRetryable: false, nextRetryDelay: 3000 });
});

test('a 4xx of the endpoint is not retried', async () => {
  fake.server.next({ kind: 'status', status: 404, body: '{"error":{"message":"model not found"}}' });
  const { acts } = activities('chat');
  await expect(modelCallActivityEnvironment().run(acts.askLocal, local)).rejects.toMatchObject({
    type: 'LocalRequestRejected',
    nonRetryable: true,
  });
});
