/**
 * `TRACING=jaeger npm start`: one conversation is one trace in Jaeger, from the Conversation API through the
 * workflow, its activities, the LLM REST service, the gateway and the Lambda handler to each model call, with the
 * GenAI attributes and the token counts the models returned. The models are the deterministic fake Ollama (on
 * OLLAMA_HOST, which the stack then uses instead of starting its own): the Lambda's Ollama provider answers the
 * cloud side, the worker's askLocal the local side. Then the worker's metrics are scraped.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePorts } from '../../src/stack/ports';
import { FakeOllama, hashedQuestion } from '../fixtures/ollama-server';
import { ancestry, findTraces, type Trace, type TraceSpan } from '../helpers/jaeger';
import { startStack, type StackHandle } from '../helpers/stack';
import { repoRoot, requireTool } from '../helpers/tools';
import { until } from '../helpers/wait';

const MODEL = 'gemma3:270m';
const TURNS = 2;

interface TranscriptTurn {
  turn: number;
  cloudUsage: { inputTokens: number; outputTokens: number };
  localUsage: { inputTokens: number; outputTokens: number };
}

let ollama: FakeOllama;
let stack: StackHandle;
let conversationId: string;
let turns: TranscriptTurn[];
let trace: Trace;

beforeAll(async () => {
  requireTool('jaeger');
  const [ollamaPort] = await freePorts(1);
  ollama = new FakeOllama({
    latencyMs: 20,
    reply: hashedQuestion,
  });
  const ollamaUrl = await ollama.start(ollamaPort);
  // A short export delay: the test reads the spans back as soon as the conversation ends.
  stack = await startStack({ TRACING: 'jaeger', OLLAMA_HOST: ollamaUrl, OTEL_BSP_SCHEDULE_DELAY: '200' });

  const res = await fetch(`${stack.apiUrl}/conversation?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...stack.apiHeaders },
    body: JSON.stringify({ initialQuery: 'How do traces cross process boundaries?', maxTurns: TURNS }),
  });
  expect(res.status).toBe(200);
  conversationId = ((await res.json()) as { conversationId: string }).conversationId;
  const status = await fetch(`${stack.apiUrl}/conversation/${conversationId}`, { headers: stack.apiHeaders });
  turns = ((await status.json()) as { turns: TranscriptTurn[] }).turns;
  expect(turns).toHaveLength(TURNS);

  const queryUrl = `http://127.0.0.1:${stack.env.JAEGER_UI_PORT}`;
  // The trace that started the workflow (a later GET's DescribeWorkflow names the workflow too).
  const isConversation = (t: Trace) =>
    t.spans.some(
      (s) => s.name === 'StartWorkflow:conversationWorkflow' && s.tags.temporalWorkflowId === conversationId,
    );
  const complete = (t: Trace | undefined) =>
    !!t &&
    t.spans.filter((s) => s.name.startsWith('chat ')).length === 2 * TURNS &&
    t.spans.some((s) => s.name === 'RunActivity:exportTranscript') &&
    t.spans.some((s) => !s.parentId); // the API request's span, exported once it has answered
  // The failure message shows what Jaeger holds: each trace's span names.
  const found = await until(
    async () => {
      const traces = await findTraces(queryUrl, 'conversation-api');
      return { match: traces.find(isConversation), seen: traces.map((t) => t.spans.map((s) => s.name)) };
    },
    ({ match }) => complete(match),
    { timeoutMs: 60_000, intervalMs: 500, what: `the trace of ${conversationId} with every span` },
  );
  trace = found.match!;
}, 900_000);

afterAll(async () => {
  await stack?.interrupt();
  await ollama?.stop();
}, 120_000);

function modelSpans(side: 'cloud' | 'local'): TraceSpan[] {
  return trace.spans
    .filter((s) => s.name === `chat ${MODEL}` && s.tags['conversation.side'] === side)
    .sort((a, b) => Number(a.tags['conversation.turn']) - Number(b.tags['conversation.turn']));
}

/** Each step's span is an ancestor of the next: `match` finds them in order along the chain from the root. */
function expectPath(span: TraceSpan, steps: [string, (s: TraceSpan) => boolean][]): void {
  const fromRoot = ancestry(trace, span).reverse();
  let at = 0;
  const found: string[] = [];
  for (const [label, match] of steps) {
    const index = fromRoot.findIndex((s, i) => i >= at && match(s));
    if (index >= 0) {
      found.push(label);
      at = index + 1;
    }
  }
  expect({ found, chain: fromRoot.map((s) => `${s.service}: ${s.name}`) }).toEqual({
    found: steps.map(([label]) => label),
    chain: expect.any(Array),
  });
}

const by = (service: string, name?: string | RegExp) => (s: TraceSpan) =>
  s.service === service &&
  (name === undefined || (typeof name === 'string' ? s.name === name : name.test(s.name)));

test('one trace holds the conversation: API, workflow, activities, REST service, gateway, Lambda, models', () => {
  const services = new Set(trace.spans.map((s) => s.service));
  expect([...services].sort()).toEqual(['conversation-api', 'conversation-worker', 'gateway', 'llm-service']);
  // The trace's root is the API request that started the conversation.
  const roots = trace.spans.filter((s) => !s.parentId);
  expect(roots.map((s) => s.service)).toEqual(['conversation-api']);

  for (const span of modelSpans('cloud')) {
    expectPath(span, [
      ['API request', by('conversation-api', /^POST/)],
      ['workflow start', by('conversation-api', 'StartWorkflow:conversationWorkflow')],
      ['workflow run', by('conversation-worker', 'RunWorkflow:conversationWorkflow')],
      ['activity scheduled', by('conversation-worker', 'StartActivity:askCloud')],
      ['activity run', by('conversation-worker', 'RunActivity:askCloud')],
      ['REST service', by('llm-service', /^POST/)],
      ['gateway', by('gateway', /^POST/)],
      ['Lambda handler', by('gateway', 'lambda POST /generate')],
      ['model call', by('gateway', `chat ${MODEL}`)],
    ]);
  }
  for (const span of modelSpans('local')) {
    expectPath(span, [
      ['API request', by('conversation-api', /^POST/)],
      ['workflow run', by('conversation-worker', 'RunWorkflow:conversationWorkflow')],
      ['activity run', by('conversation-worker', 'RunActivity:askLocal')],
      ['model call', by('conversation-worker', `chat ${MODEL}`)],
    ]);
  }
});

test('model spans carry the GenAI attributes, the conversation, and the tokens the models returned', () => {
  for (const side of ['cloud', 'local'] as const) {
    const spans = modelSpans(side);
    expect(spans.map((s) => s.tags['conversation.turn'])).toEqual([1, 2]);
    spans.forEach((span, i) => {
      const usage = side === 'cloud' ? turns[i]!.cloudUsage : turns[i]!.localUsage;
      expect(span.tags).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'ollama',
        'gen_ai.system': 'ollama',
        'gen_ai.request.model': MODEL,
        'gen_ai.response.model': MODEL,
        'gen_ai.conversation.id': conversationId,
        'conversation.side': side,
        'gen_ai.usage.input_tokens': usage.inputTokens,
        'gen_ai.usage.output_tokens': usage.outputTokens,
      });
      expect(span.tags['gen_ai.request.max_tokens']).toEqual(expect.any(Number));
      expect(String(span.tags['gen_ai.response.finish_reasons'])).toMatch(/end_turn|stop/);
      expect(usage.inputTokens).toBeGreaterThan(0);
    });
  }
});

test("the worker's metrics count the conversation's model calls, tokens and end reason", async () => {
  const res = await fetch(`http://${stack.env.CONVERSATION_METRICS_ADDRESS}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const sum = (pick: (t: TranscriptTurn) => number) => turns.reduce((n, t) => n + pick(t), 0);

  expect(
    sample(text, 'llm_model_calls_total', { side: 'local', provider: 'ollama', model: MODEL, outcome: 'ok' }),
  ).toBe(TURNS);
  expect(
    sample(text, 'llm_model_calls_total', {
      side: 'cloud',
      provider: 'llm-service',
      model: MODEL,
      outcome: 'ok',
    }),
  ).toBe(TURNS);
  const tokens = (side: string, type: string) =>
    sample(text, 'gen_ai_client_token_usage_sum', {
      side,
      gen_ai_token_type: type,
      gen_ai_response_model: MODEL,
    });
  expect(tokens('local', 'input')).toBe(sum((t) => t.localUsage.inputTokens));
  expect(tokens('local', 'output')).toBe(sum((t) => t.localUsage.outputTokens));
  expect(tokens('cloud', 'input')).toBe(sum((t) => t.cloudUsage.inputTokens));
  expect(tokens('cloud', 'output')).toBe(sum((t) => t.cloudUsage.outputTokens));
  expect(
    sample(text, 'gen_ai_client_operation_duration_seconds_count', { side: 'cloud', error_type: '' }),
  ).toBe(TURNS);
  expect(sample(text, 'llm_conversations_total', { end_reason: 'max_turns' })).toBe(1);
  expect(sample(text, 'llm_conversation_turn_duration_seconds_count', {})).toBe(TURNS);
});

test("the CLI's conversation is one trace too, rooted at its StartWorkflow span", async () => {
  const env = {
    ...process.env,
    ...stack.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${stack.env.JAEGER_OTLP_HTTP_PORT}`,
  };
  const { stdout } = await promisify(execFile)(
    'npm',
    ['run', '--silent', 'converse', '--', 'What does a span link?', '--turns', '1', '--poll', '200'],
    { cwd: repoRoot, env },
  );
  const workflowId = /conversation (\S+) \(run/.exec(stdout)![1]!;
  const started = (t: Trace) =>
    t.spans.some(
      (s) => s.name === 'StartWorkflow:conversationWorkflow' && s.tags.temporalWorkflowId === workflowId,
    );
  // The CLI exported its spans before it exited; the worker's arrive within the batch delay.
  const traces = await until(
    () => findTraces(`http://127.0.0.1:${stack.env.JAEGER_UI_PORT}`, 'converse-cli'),
    (found) =>
      found.some((t) => started(t) && t.spans.filter((s) => s.name.startsWith('chat ')).length === 2),
    { timeoutMs: 60_000, intervalMs: 500, what: `the CLI's trace of ${workflowId}` },
  );
  const roots = traces.find(started)!.spans.filter((s) => !s.parentId);
  expect(roots.map((s) => `${s.service}: ${s.name}`)).toEqual([
    'converse-cli: StartWorkflow:conversationWorkflow',
  ]);
}, 300_000);

/** The value of the one sample of `name` whose labels include `labels`; undefined when none or several match. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const matches = text.split('\n').filter((line) => {
    const m = /^([a-z_:]+)(?:\{(.*)\})? /.exec(line);
    if (!m || m[1] !== name) return false;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    return Object.entries(labels).every(([k, v]) => have[k] === v);
  });
  return matches.length === 1 ? Number(matches[0]!.split(' ').at(-1)) : undefined;
}
