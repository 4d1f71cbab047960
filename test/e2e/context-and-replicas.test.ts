/**
 * Whole conversations in context, append-only, and conversations kept on one replica, against the real Ollama
 * (gemma3:270m, a base model: both sides continue a `Question:`/`Answer:` transcript). Recording proxies in front of
 * the stack's Ollama and of a second Ollama keep every prompt the servers were sent:
 * - each side's prompt for turn k+1 starts with the exact bytes of its prompt for turn k;
 * - with a small contextTokens the local side's prompt is cut, where and only where the documented rule says
 *   (src/conversation/workflows/context-window.ts), and stays append-only between cuts;
 * - a campaign on an endpoint of two replicas sends every call of a conversation side to one of them, and completes
 *   every item when one replica is killed mid-run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CampaignManifest } from '../../src/contracts/campaign';
import type { Turn } from '../../src/contracts/conversation';
import { localContextStart } from '../../src/conversation/workflows/context-window';
import { isolatedStackEnv } from '../../src/stack/isolated-env';
import { RecordingProxy, type RecordedCall } from '../fixtures/recording-proxy';
import { TestComponents } from '../helpers/components';
import { startStack, type StackHandle } from '../helpers/stack';
import { until } from '../helpers/wait';

const MODEL = 'gemma3:270m';
const SMALL_CONTEXT = 1024;

let stack: StackHandle;
let second: TestComponents;
let dir: string;
const proxyA = new RecordingProxy();
const proxyB = new RecordingProxy();

beforeAll(async () => {
  const env = await isolatedStackEnv('llm-conv-e2e-context-');
  second = await TestComponents.create();
  await second.start('ollama', 'ollama-2');
  proxyA.forwardTo(env.OLLAMA_HOST!);
  proxyB.forwardTo(second.env.OLLAMA_HOST!);
  const [a, b] = await Promise.all([proxyA.start(), proxyB.start()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'context-endpoints-'));
  const file = path.join(dir, 'endpoints.yaml');
  writeFileSync(
    file,
    [
      'endpoints:',
      `  - { name: recorded, kind: ollama, baseUrl: "${a}" }`,
      `  - { name: recorded-small, kind: ollama, baseUrl: "${a}", contextTokens: ${SMALL_CONTEXT} }`,
      `  - { name: recorded-v1, kind: openai, baseUrl: "${a}/v1", api: completions, model: "${MODEL}" }`,
      `  - { name: pair, kind: ollama, baseUrls: ["${a}", "${b}"] }`,
    ].join('\n'),
  );
  stack = await startStack({ ...env, MODEL_ENDPOINTS_FILE: file });
}, 900_000);

afterAll(async () => {
  await stack?.interrupt();
  await second?.stopAll();
  await Promise.all([proxyA.stop(), proxyB.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.apiUrl}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...stack.apiHeaders },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The conversation a recorded call belongs to (its request id is `<workflowId>:<activityId>:<attempt>`). */
const conversationOf = (call: RecordedCall) => call.requestId.split(':')[0]!;

/** Each prompt of a conversation's calls on `route`, in the order they were sent, once per activity (not per retry). */
function prompts(
  calls: readonly RecordedCall[],
  conversationId: string,
  route: RecordedCall['route'],
): string[] {
  const byActivity = new Map<string, RecordedCall>();
  for (const call of [...calls].sort((x, y) => x.startedAt - y.startedAt)) {
    if (call.route !== route || conversationOf(call) !== conversationId) continue;
    const activity = call.requestId.split(':').slice(0, 2).join(':');
    if (!byActivity.has(activity)) byActivity.set(activity, call);
  }
  return [...byActivity.values()].map((c) => c.body.prompt as string);
}

/** Starts a conversation and waits for it (polling: a loaded machine may take longer than a blocking call's wait). */
async function converse(body: Record<string, unknown>): Promise<{ conversationId: string; turns: Turn[] }> {
  const started = await api<{ conversationId: string }>('POST', '/conversation', body);
  expect(started.status).toBe(202);
  const { conversationId } = started.body;
  const done = await until(
    () => api<{ status: string; turns: Turn[] | null }>('GET', `/conversation/${conversationId}`),
    ({ body: b }) => b.status === 'completed' && Array.isArray(b.turns),
    { timeoutMs: 1_200_000, intervalMs: 1000, what: `conversation ${conversationId} completed` },
  );
  return { conversationId, turns: done.body.turns! };
}

test("each side's prompt for turn k+1 starts with the exact bytes of its prompt for turn k", async () => {
  const { conversationId, turns } = await converse({
    initialQuery: 'Why is the sky blue?',
    maxTurns: 6,
    novelty: false,
    cloud: { endpoint: 'recorded-v1', maxTokens: 64 },
    local: { endpoint: 'recorded', maxTokens: 32 },
  });
  expect(turns).toHaveLength(6);
  const local = prompts(proxyA.calls, conversationId, '/api/generate');
  const cloud = prompts(proxyA.calls, conversationId, '/v1/completions');
  expect(local).toHaveLength(6);
  expect(cloud).toHaveLength(6);
  for (const side of [local, cloud]) {
    for (let k = 1; k < side.length; k++) {
      expect(side[k]!.startsWith(side[k - 1]!)).toBe(true);
      expect(side[k]!.length).toBeGreaterThan(side[k - 1]!.length);
    }
  }
  // The whole conversation: the last local prompt holds the seed and every answer.
  expect(local.at(-1)).toContain('Question: Why is the sky blue?');
  expect(local.at(-1)).toContain(turns[0]!.cloudResponse.replace(/\s+/g, ' ').slice(0, 40));
}, 1_500_000);

test('past a small contextTokens the oldest half is cut at once, and the prompt is append-only between cuts', async () => {
  const maxTurns = 10;
  const settings = { local: { endpoint: 'recorded-small', maxTokens: 32 }, cloud: { maxTokens: 48 } };
  const { conversationId, turns } = await converse({
    initialQuery: 'How do vaccines train the immune system?',
    maxTurns,
    novelty: false,
    ...settings,
  });
  expect(turns).toHaveLength(maxTurns);
  const local = prompts(proxyA.calls, conversationId, '/api/generate');
  expect(local).toHaveLength(maxTurns);
  // Where the documented rule starts each turn's local prompt, from what was said.
  const context = { contextTokens: SMALL_CONTEXT, maxTokens: 32 };
  const starts = turns.map((t, i) =>
    localContextStart(settings, context, turns.slice(0, i), t.query, t.cloudResponse),
  );
  const cuts = starts.flatMap((s, k) => (k > 0 && s !== starts[k - 1] ? [k] : []));
  expect(cuts.length).toBeGreaterThan(0);
  for (let k = 1; k < maxTurns; k++) {
    // Append-only except at a cut, and a cut drops what the rule dropped: the prompt no longer holds that question.
    expect(local[k]!.startsWith(local[k - 1]!)).toBe(!cuts.includes(k));
  }
  // Each prompt holds the exchanges the rule kept and no more: counted by their `Answer:` lines, since a base model
  // may ask the same question twice and a dropped question's text can then still be in the prompt.
  const answers = (prompt: string) => prompt.match(/^Answer:/gm)?.length ?? 0;
  for (let k = 0; k < maxTurns; k++) expect(answers(local[k]!)).toBe(k + 1 - starts[k]!);
  // Cuts in large steps: the next cut comes no sooner than 2 turns after the last.
  for (let i = 1; i < cuts.length; i++) expect(cuts[i]! - cuts[i - 1]!).toBeGreaterThanOrEqual(2);
}, 1_500_000);

test('a campaign on two replicas keeps each conversation side on one, and completes every item when one is killed', async () => {
  proxyA.calls = [];
  proxyB.calls = [];
  const started = await api<{ campaignId: string }>('POST', '/campaigns', {
    name: 'two replicas',
    seeds: ['Why is the sky blue?', 'How does rain form?', 'What is a star?', 'Why do leaves fall?'],
    pairs: [{ local: { endpoint: 'pair', maxTokens: 32 }, cloud: { maxTokens: 48 } }],
    repeats: 2,
    maxTurns: 4,
    novelty: false,
  });
  expect(started.status).toBe(202);
  const localCalls = () => [...proxyA.calls, ...proxyB.calls].filter((c) => c.route === '/api/generate');
  // Both replicas serving, and some conversations past their second local call on each.
  await until(
    async () => localCalls(),
    (calls) =>
      [proxyA, proxyB].every((p) => p.calls.length > 0) &&
      new Set(calls.map(conversationOf)).size === 8 &&
      calls.length >= 16,
    { timeoutMs: 900_000, intervalMs: 500, what: 'local calls on both replicas' },
  );
  const onA = new Set(proxyA.calls.filter((c) => c.route === '/api/generate').map(conversationOf));
  const onB = new Set(proxyB.calls.filter((c) => c.route === '/api/generate').map(conversationOf));
  expect([...onB].filter((id) => onA.has(id))).toEqual([]);
  const activities = (calls: readonly RecordedCall[], id: string) =>
    new Set(
      calls
        .filter((c) => c.route === '/api/generate' && conversationOf(c) === id)
        .map((c) => c.requestId.split(':').slice(0, 2).join(':')),
    ).size;
  await second.stop('ollama-2', { signal: 'SIGKILL' });
  const done = await until(
    () =>
      api<{ status: string; counts: { completed: number; failed: number } }>(
        'GET',
        `/campaigns/${started.body.campaignId}`,
      ),
    ({ body }) => body.status === 'completed',
    { timeoutMs: 900_000, intervalMs: 1000, what: 'the campaign to complete' },
  );
  expect(done.body.counts).toMatchObject({ completed: 8, failed: 0 });
  // The killed replica's conversations that had turns left (one local call a turn) went on on the other one.
  let moved = 0;
  for (const id of onB) {
    const { body } = await api<{ turns: Turn[] }>('GET', `/conversation/${id}`);
    if (body.turns.length === activities(proxyB.calls, id)) continue;
    moved++;
    expect(activities(proxyA.calls, id)).toBeGreaterThan(0);
  }
  expect(moved).toBeGreaterThan(0);
  // The manifest's row for the endpoint splits its turns by the replica that answered them, within the row.
  const manifest = JSON.parse(
    readFileSync(path.join(stack.outputDir, 'campaigns', started.body.campaignId, 'manifest.json'), 'utf8'),
  ) as CampaignManifest;
  const row = manifest.byModel[`local@pair:${MODEL}`]!;
  expect(Object.keys(row.replicas ?? {}).sort()).toEqual(['0', '1']);
  const parts = Object.values(row.replicas!);
  expect(parts.reduce((n, r) => n + r.inputTokens, 0)).toBe(row.inputTokens);
  expect(parts.reduce((n, r) => n + r.turns, 0)).toBe(
    manifest.items.reduce((n, i) => n + (i.outcome?.turns ?? 0), 0),
  );
  const metrics = await (await fetch(`http://${stack.env.CONVERSATION_METRICS_ADDRESS}/metrics`)).text();
  expect(metrics).toMatch(/llm_endpoint_replica_errors\{endpoint="pair",replica="1"\} [1-9]/);
}, 1_800_000);
