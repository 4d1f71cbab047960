/**
 * Named model endpoints through the whole stack (`npm start`), against a real OpenAI-compatible server: the stack's
 * own Ollama, whose `/v1` serves that API, with gemma3:270m (a base model, so `api: completions`).
 * - a conversation whose local side names an `openai` endpoint pointing at it;
 * - a conversation whose cloud side goes through the Lambda's `openai` provider (MODEL_PROVIDER=openai) to it;
 * - a campaign of two pairs on two endpoints, each a fake server counting the calls in flight, capped apart: an
 *   endpoint's caps hold for both sides' calls together.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Turn } from '../../src/contracts/conversation';
import { isolatedStackEnv } from '../../src/stack/isolated-env';
import { FakeOpenAiServer } from '../fixtures/openai-server';
import { startStack, type StackHandle } from '../helpers/stack';
import { until } from '../helpers/wait';

const MODEL = 'gemma3:270m';
const CAPS = { 'fake-a': 2, 'fake-b': 3 } as const;

let stack: StackHandle;
let dir: string;
const fakes = {
  'fake-a': new FakeOpenAiServer({ kind: 'reply', latencyMs: 300 }),
  'fake-b': new FakeOpenAiServer({ kind: 'reply', latencyMs: 300 }),
};

beforeAll(async () => {
  const env = await isolatedStackEnv('llm-conv-e2e-endpoints-');
  const [a, b] = await Promise.all([fakes['fake-a'].start(), fakes['fake-b'].start()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'model-endpoints-'));
  const file = path.join(dir, 'endpoints.yaml');
  writeFileSync(
    file,
    [
      'endpoints:',
      `  - { name: ollama-v1, kind: openai, baseUrl: "${env.OLLAMA_HOST}/v1", api: completions, model: "${MODEL}" }`,
      `  - { name: fake-a, kind: openai, baseUrl: "${a}", model: fake-a, caps: { maxConcurrentCalls: ${CAPS['fake-a']} } }`,
      `  - { name: fake-b, kind: openai, baseUrl: "${b}", model: fake-b, caps: { maxConcurrentCalls: ${CAPS['fake-b']} } }`,
    ].join('\n'),
  );
  stack = await startStack({
    ...env,
    MODEL_ENDPOINTS_FILE: file,
    // The Lambda answers the cloud side through its openai provider, from the same Ollama's /v1.
    MODEL_PROVIDER: 'openai',
    OPENAI_BASE_URL: `${env.OLLAMA_HOST}/v1`,
    OPENAI_API: 'completions',
    OPENAI_MODEL: MODEL,
    // The Lambda's log line of each call (its provider) is at info.
    POWERTOOLS_LOG_LEVEL: 'INFO',
  });
}, 900_000);

afterAll(async () => {
  await stack?.interrupt();
  await Promise.all(Object.values(fakes).map((f) => f.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

interface Answer {
  status: number;
  body: {
    completedTurns?: number;
    turns?: number;
    conversation?: Turn[];
    campaignId?: string;
    status?: string;
    items?: { total: number };
  };
}

async function api(method: string, route: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${stack.apiUrl}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...stack.apiHeaders },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** The worker's model-call counter for these labels (the stack's CONVERSATION_METRICS_ADDRESS). */
async function modelCalls(labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://${stack.env.CONVERSATION_METRICS_ADDRESS}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('llm_model_calls_total{'))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

test('the local side asks the real model through an openai endpoint', async () => {
  const { status, body } = await api('POST', '/conversation?wait=true', {
    initialQuery: 'Why is the sky blue?',
    maxTurns: 2,
    local: { endpoint: 'ollama-v1', maxTokens: 32 },
    cloud: { maxTokens: 48 },
  });
  expect(status).toBe(200);
  const turns = body.conversation ?? [];
  expect(turns.length).toBeGreaterThanOrEqual(1);
  for (const turn of turns) {
    expect(turn.localModel).toBe(MODEL);
    expect(turn.localResponse.trim().length).toBeGreaterThan(0);
    expect(turn.localUsage.inputTokens).toBeGreaterThan(0);
  }
  // Every local call (resamples of the novelty guard too) went to the endpoint.
  expect(
    await modelCalls({ side: 'local', endpoint: 'ollama-v1', provider: 'openai', outcome: 'ok' }),
  ).toBeGreaterThanOrEqual(turns.length);
  expect(await modelCalls({ side: 'local', endpoint: 'local' })).toBe(0);
}, 600_000);

test('the cloud side answers through the Lambda, whose openai provider calls the real model', async () => {
  const { status, body } = await api('POST', '/conversation?wait=true', {
    initialQuery: 'What makes a workflow durable?',
    maxTurns: 1,
    cloud: { maxTokens: 48 },
    local: { maxTokens: 32 },
  });
  expect(status).toBe(200);
  const [turn] = body.conversation ?? [];
  expect(turn?.cloudModel).toBe(MODEL);
  expect(turn?.cloudResponse.trim().length).toBeGreaterThan(0);
  expect(turn?.cloudUsage.outputTokens).toBeGreaterThan(0);
  // The Lambda's log line for each call names its provider.
  const generated = readFileSync(path.join(stack.dataDir, 'logs', 'gateway.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"message":"generated"'));
  expect(generated.length).toBeGreaterThan(0);
  for (const line of generated) expect(line).toContain('"provider":"openai"');
}, 600_000);

test("a campaign's two pairs run on two endpoints, each at most at its own cap, both sides counted together", async () => {
  const seeds = ['Why is the sky blue?', 'How does rain form?', 'What is a star?', 'Why do leaves fall?'];
  const started = await api('POST', '/campaigns', {
    name: 'two endpoints',
    seeds,
    pairs: [
      { cloud: { endpoint: 'fake-a' }, local: { endpoint: 'fake-a' } },
      { cloud: { endpoint: 'fake-b' }, local: { endpoint: 'fake-b' } },
    ],
    repeats: 2,
    maxTurns: 2,
    novelty: false,
    concurrency: 16,
  });
  expect(started.status).toBe(202);
  const done = await until(
    () => api('GET', `/campaigns/${started.body.campaignId}`),
    ({ body }) => body.status === 'completed',
    { timeoutMs: 600_000, intervalMs: 500, what: 'the campaign to complete' },
  );
  expect(done.body.items?.total).toBe(16);
  // 8 conversations per endpoint, 2 turns, a cloud and a local call each: 32 calls per fake.
  for (const name of ['fake-a', 'fake-b'] as const) {
    expect(fakes[name].received).toHaveLength(32);
    expect(fakes[name].log.peakInFlight).toBe(CAPS[name]);
  }
  expect(await modelCalls({ endpoint: 'fake-a', side: 'cloud', outcome: 'ok' })).toBe(16);
  expect(await modelCalls({ endpoint: 'fake-b', side: 'local', outcome: 'ok' })).toBe(16);
}, 900_000);
