import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UpstreamError } from '../../src/contracts/errors';
import { CSV_COLUMNS } from '../../src/output/csv';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import type {
  GenerateRequestBody as GenerateRequest,
  GenerateResponseBody as GenerateResponse,
} from '../../src/contracts/llm-rest';
import type { OllamaClient } from '../../src/models/ollama-client';
import { ollamaClient } from '../helpers/ollama-client';
import { pauseSignal, resumeSignal, stopSignal, transcriptQuery } from '../../src/contracts/conversation';
import type {
  ConversationInput,
  ConversationResult,
  TranscriptState,
} from '../../src/contracts/conversation';
import {
  CLOUD_MODEL,
  END_REASON,
  LOCAL_MODEL,
  TURNS_COMPLETED,
} from '../../src/conversation/search-attributes';
import { startConversation } from '../../src/conversation/start';
import type { ConversationHandle } from '../../src/conversation/start';
import { createWorker, createWorkers } from '../../src/worker/worker';
import { TURNS_PER_RUN } from '../../src/conversation/workflows/conversation';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { registerConversationSearchAttributes } from '../helpers/search-attributes';
import { requireTool } from '../helpers/tools';
import { LocalStore } from '../../src/output/local-store';
import { openAiAnswerClient } from '../../src/conversation/activities/llm-service-client';
import { openAiQuestionServer } from '../../src/conversation/activities/question-server';
import { createOpenAiClient } from '../../src/models/openai-client';
import { FakeOpenAiServer } from '../fixtures/openai-server';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let outputDir: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  outputDir = await mkdtemp(path.join(tmpdir(), 'conversation-workflow-'));
  [env, workflowBundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireTool('temporal-test-server') } },
    }),
    bundleWorkflowCode({
      ...workflowBundling,
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  await registerConversationSearchAttributes(env.connection, env.namespace ?? 'default');
}, 300_000);

afterAll(async () => {
  await env?.teardown();
  await rm(outputDir, { recursive: true, force: true });
});

type CloudStep = (call: number, request: GenerateRequest) => Promise<GenerateResponse>;

const answer = (call: number): GenerateResponse => ({
  response: `Answer ${call}, with a comma`,
  model: 'fake-cloud',
  stopReason: 'end_turn',
  usage: { inputTokens: 10 * call, outputTokens: 20 },
  latencyMs: 5,
  requestId: `req-${call}`,
});

/** The LLM REST service as the activity sees it; every call is recorded. */
function fakeLlmService(step: CloudStep = async (call) => answer(call)) {
  const requests: GenerateRequest[] = [];
  const client: LlmServiceClient = {
    generate: (request) => {
      requests.push(request);
      return step(requests.length, request);
    },
  };
  return { client, requests };
}

type LocalStep = (call: number) => Promise<string>;

/** Ollama as the activity sees it: `step` gives each call's question (or throws, like a dead server). */
function fakeOllama(step: LocalStep = async (call) => `  Follow-up question ${call}?\n`) {
  let calls = 0;
  const client = ollamaClient({
    chat: async (request) => {
      calls++;
      return {
        model: request.model,
        message: { role: 'assistant', content: await step(calls) },
        prompt_eval_count: 30,
        eval_count: 7,
      };
    },
  });
  return { client, calls: () => calls };
}

interface Run {
  result: ConversationResult;
  handle: ConversationHandle;
  /** The run the start created; a later one means the workflow continued-as-new. */
  firstRunId: string;
}

/** What a test worker needs on a task queue of its own, with the given model clients. */
function testWorkerDeps(llm: LlmServiceClient, ollama: OllamaClient = fakeOllama().client) {
  return {
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: `conversation-test-${randomUUID()}`,
    workflowBundle,
    activities: {
      llmService: { client: llm, maxTokens: 100 },
      ollama: { client: ollama, model: 'fake-local', maxTokens: 50 },
      output: { store: new LocalStore(outputDir) },
    },
  };
}

/** A worker on a task queue of its own, with the given model clients. */
async function testWorker(llm: LlmServiceClient, ollama?: OllamaClient) {
  const deps = testWorkerDeps(llm, ollama);
  return { worker: await createWorker(deps), taskQueue: deps.taskQueue };
}

/** Starts a conversation the way the API and the CLI do (start.ts), on its own task queue, and awaits it. */
async function runConversationWithHandle(
  input: Omit<ConversationInput, 'conversationId'>,
  llm: LlmServiceClient,
  during?: (handle: ConversationHandle) => Promise<void>,
  ollama?: OllamaClient,
): Promise<Run> {
  const { worker, taskQueue } = await testWorker(llm, ollama);
  return worker.runUntil(async () => {
    const conversationId = `conversation-${randomUUID()}`;
    const { handle, runId } = await startConversation(env.client, taskQueue, { ...input, conversationId });
    await during?.(handle);
    return { result: await handle.result(), handle, firstRunId: runId };
  });
}

async function runConversation(
  input: Omit<ConversationInput, 'conversationId'>,
  llm: LlmServiceClient,
  during?: (handle: ConversationHandle) => Promise<void>,
  ollama?: OllamaClient,
): Promise<ConversationResult> {
  return (await runConversationWithHandle(input, llm, during, ollama)).result;
}

/** Polls the transcript query until `done` holds (no time passes on the test server meanwhile). */
async function waitForTranscript(
  handle: ConversationHandle,
  done: (t: TranscriptState) => boolean,
): Promise<TranscriptState> {
  for (;;) {
    const transcript = await handle.query(transcriptQuery);
    if (done(transcript)) return transcript;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A cloud model whose `blockedCall`-th call waits until released. */
function blockingLlm(blockedCall: number) {
  let release!: () => void;
  let reached!: () => void;
  const blocked = new Promise<void>((resolve) => (reached = resolve));
  const llm = fakeLlmService(async (call) => {
    if (call === blockedCall) {
      reached();
      await new Promise<void>((resolve) => (release = resolve));
    }
    return answer(call);
  });
  return { llm, blocked, release: () => release() };
}

/** Each activity the run scheduled, as `activity@taskQueue`. */
async function scheduledOn(handle: WorkflowHandle): Promise<Set<string>> {
  const { events } = await handle.fetchHistory();
  return new Set(
    (events ?? []).flatMap((e) => {
      const scheduled = e.activityTaskScheduledEventAttributes;
      return scheduled ? [`${scheduled.activityType?.name}@${scheduled.taskQueue?.name}`] : [];
    }),
  );
}

async function exportedRows(result: ConversationResult): Promise<string[]> {
  const csv = await readFile(result.csvPath, 'utf8');
  const lines = csv.split('\r\n');
  expect(lines[0]).toBe(CSV_COLUMNS.join(','));
  expect(lines.at(-1)).toBe('');
  return lines.slice(1, -1);
}

async function exportedJsonl(result: ConversationResult) {
  return JSON.parse(await readFile(result.jsonlPath, 'utf8')) as { endReason: string; messages: unknown[] };
}

test('runs maxTurns turns, each query being the previous follow-up, and exports them', async () => {
  const llm = fakeLlmService();
  const result = await runConversation(
    { initialQuery: 'Tell me about machine learning', maxTurns: 3 },
    llm.client,
  );

  expect(result.endReason).toBe('max_turns');
  expect(result.completedTurns).toBe(3);
  expect(result.turns.map((t) => t.query)).toEqual([
    'Tell me about machine learning',
    'Follow-up question 1?',
    'Follow-up question 2?',
  ]);
  const [first] = result.turns;
  expect(first).toMatchObject({
    turn: 1,
    cloudResponse: 'Answer 1, with a comma',
    localResponse: 'Follow-up question 1?',
    cloudModel: 'fake-cloud',
    localModel: 'fake-local',
    cloudLatencyMs: 5,
    cloudUsage: { inputTokens: 10, outputTokens: 20 },
    localUsage: { inputTokens: 30, outputTokens: 7 },
  });
  expect(first?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(first?.processingTimeMs).toBeGreaterThanOrEqual(0);
  // The cloud model sees the conversation so far, ending with the current query.
  expect(llm.requests[2]?.messages.map((m) => m.role)).toEqual([
    'user',
    'assistant',
    'user',
    'assistant',
    'user',
  ]);
  expect(llm.requests[2]?.maxTokens).toBe(100);

  const rows = await exportedRows(result);
  expect(rows).toHaveLength(3);
  expect(rows[1]).toContain(`"Answer 2, with a comma",Follow-up question 2?,`);
  expect(rows[1]).toContain(`,${result.conversationId},2,fake-cloud,fake-local,`);
  expect(path.isAbsolute(result.csvPath)).toBe(true);
  expect(await exportedJsonl(result)).toMatchObject({ endReason: 'max_turns', messages: expect.any(Array) });
  expect((await exportedJsonl(result)).messages).toHaveLength(6);
});

test('a start that skips the API with an invalid input fails at once, naming the field', async () => {
  const { worker, taskQueue } = await testWorker(fakeLlmService().client);
  const failure = await worker.runUntil(
    env.client.workflow
      .execute('conversationWorkflow', {
        taskQueue,
        workflowId: `conversation-${randomUUID()}`,
        args: [{ initialQuery: 'Hi', maxTurns: 0 }],
      })
      .catch((err: unknown) => err),
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toMatchObject({
    type: 'InvalidConversationInput',
    message: expect.stringMatching(/^Invalid conversation input: maxTurns: /),
  });
});

test('a start that skips the API with text the wire cannot carry fails at once, naming the field', async () => {
  const { worker, taskQueue } = await testWorker(fakeLlmService().client);
  const failure = await worker.runUntil(
    env.client.workflow
      .execute('conversationWorkflow', {
        taskQueue,
        workflowId: `conversation-${randomUUID()}`,
        args: [{ initialQuery: 'Hi', stopPhrases: ['bye \ud800'] }],
      })
      .catch((err: unknown) => err),
  );
  expect((failure as WorkflowFailedError).cause).toMatchObject({
    type: 'InvalidConversationInput',
    message: expect.stringMatching(
      /^Invalid conversation input: stopPhrases\.0: must be well-formed Unicode/,
    ),
  });
});

describe('the transcript is never lost to its file name', () => {
  let outside: string;
  beforeEach(async () => {
    outside = await mkdtemp(path.join(tmpdir(), 'conversation-outside-'));
  });
  afterEach(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  test('a requested folder that is a symlink to outside: the run completes, the transcript lands at <conversationId>.csv, nothing is created outside', async () => {
    const link = `lnk-${randomUUID()}`;
    await symlink(outside, path.join(outputDir, link));
    const result = await runConversation(
      { initialQuery: 'Hello', maxTurns: 2, outputFile: `${link}/new/x.csv` },
      fakeLlmService().client,
    );

    expect(result.endReason).toBe('max_turns');
    expect(result.csvPath).toBe(path.join(outputDir, `${result.conversationId}.csv`));
    expect(result.jsonlPath).toBe(path.join(outputDir, `${result.conversationId}.jsonl`));
    expect(result.requestedOutputFile).toBe(`${link}/new/x.csv`);
    expect(result.exportNote).toBe(
      `outputFile "${link}/new/x.csv" could not be written (${link} is a symbolic link); ` +
        `the transcript was written as ${result.conversationId}.csv at the top of OUTPUT_DIR instead`,
    );
    expect(await exportedRows(result)).toHaveLength(2);
    expect((await exportedJsonl(result)).messages).toHaveLength(4);
    expect(await readdir(outside)).toEqual([]);
  });

  test('a folder that becomes a symlink while the run goes on: the export falls back the same way', async () => {
    const folder = `later-${randomUUID()}`;
    await mkdir(path.join(outputDir, folder));
    const { llm, blocked, release } = blockingLlm(2);
    const result = await runConversation(
      { initialQuery: 'Hello', maxTurns: 2, outputFile: `${folder}/x.csv` },
      llm.client,
      async () => {
        await blocked;
        await rm(path.join(outputDir, folder), { recursive: true });
        await symlink(outside, path.join(outputDir, folder));
        release();
      },
    );

    expect(result.endReason).toBe('max_turns');
    expect(result.csvPath).toBe(path.join(outputDir, `${result.conversationId}.csv`));
    expect(result.exportNote).toContain(`(${folder} is a symbolic link)`);
    expect(await exportedRows(result)).toHaveLength(2);
    expect(await readdir(outside)).toEqual([]);
  });
});

test('a stop signal finishes the current turn, then exports what was said', async () => {
  let releaseSecondCall!: () => void;
  let secondCallStarted!: () => void;
  const started = new Promise<void>((resolve) => (secondCallStarted = resolve));
  const llm = fakeLlmService(async (call) => {
    if (call === 2) {
      secondCallStarted();
      await new Promise<void>((resolve) => (releaseSecondCall = resolve));
    }
    return answer(call);
  });

  const result = await runConversation(
    { initialQuery: 'Hello', maxTurns: 10, outputFile: 'stopped/run.csv' },
    llm.client,
    async (handle) => {
      await started;
      await handle.signal(stopSignal);
      expect((await handle.query(transcriptQuery)).status).toBe('stopping');
      releaseSecondCall();
    },
  );

  expect(result.endReason).toBe('stop_signal');
  expect(result.completedTurns).toBe(2);
  expect(result.csvPath).toBe(path.join(outputDir, 'stopped', 'run.csv'));
  expect(await exportedRows(result)).toHaveLength(2);
  expect(llm.requests).toHaveLength(2);
});

test('the durable timeout ends the conversation and exports the completed turns', async () => {
  const llm = fakeLlmService();

  // Turns start at 0, 12 and 24 minutes; the 30-minute timer fires during the pause after the third.
  const result = await runConversation(
    { initialQuery: 'Hello', maxTurns: 10, timeoutMinutes: 30, delayBetweenTurnsMs: 12 * 60_000 },
    llm.client,
  );

  expect(result.endReason).toBe('timeout');
  expect(result.completedTurns).toBe(3);
  expect(await exportedRows(result)).toHaveLength(3);
  expect((await exportedJsonl(result)).endReason).toBe('timeout');
});

test('a permanent cloud failure ends with error, and the completed turns are still exported', async () => {
  const llm = fakeLlmService(async (call) => {
    if (call === 2) throw new UpstreamError(400, 'INVALID_REQUEST', 'messages: too long', false);
    return answer(call);
  });

  const result = await runConversation({ initialQuery: 'Hello', maxTurns: 5 }, llm.client);

  expect(result.endReason).toBe('error');
  expect(result.error).toEqual({
    type: 'CloudRequestRejected',
    message: 'INVALID_REQUEST: messages: too long',
  });
  expect(result.completedTurns).toBe(1);
  expect(llm.requests).toHaveLength(2); // not retried
  expect(await exportedRows(result)).toHaveLength(1);
  expect((await exportedJsonl(result)).endReason).toBe('error');
});

test('a cloud outage is retried by Temporal a finite number of times, then ends with error and exports', async () => {
  // The only retry owner across attempts: 6 attempts (at 0, 2, 6, 14, 30, 62 s), not an unbounded stream.
  const llm = fakeLlmService(async (call) => {
    if (call >= 2) throw new UpstreamError(503, 'CIRCUIT_OPEN', 'The model upstream is failing', true);
    return answer(call);
  });

  const result = await runConversation({ initialQuery: 'Hello', maxTurns: 5 }, llm.client);

  expect(result.endReason).toBe('error');
  expect(result.error).toEqual({
    type: 'CloudUnavailable',
    message: 'CIRCUIT_OPEN: The model upstream is failing',
  });
  expect(result.completedTurns).toBe(1);
  expect(llm.requests).toHaveLength(1 + 6);
  expect(await exportedRows(result)).toHaveLength(1);
});

test('a stop phrase in either side ends the conversation as stop_phrase', async () => {
  const llm = fakeLlmService(async (call) => ({
    ...answer(call),
    response: call === 2 ? 'That is all. GOODBYE for now.' : answer(call).response,
  }));

  const result = await runConversation(
    { initialQuery: 'Hello', maxTurns: 10, stopPhrases: ['goodbye'] },
    llm.client,
  );

  expect(result.endReason).toBe('stop_phrase');
  expect(result.completedTurns).toBe(2);
  expect(await exportedRows(result)).toHaveLength(2);
  expect((await exportedJsonl(result)).endReason).toBe('stop_phrase');
});

test('with the novelty guard off, the repetition check is off unless asked for: looping text runs to maxTurns', async () => {
  const llm = fakeLlmService(async (call) => ({
    ...answer(call),
    response: 'Machine learning learns patterns.',
  }));

  const result = await runConversation({ initialQuery: 'Hello', maxTurns: 3, novelty: false }, llm.client);

  expect(result.endReason).toBe('max_turns');
  expect(result.completedTurns).toBe(3);
});

test('the sides looping on near-identical text end the conversation as repetition', async () => {
  const llm = fakeLlmService(async (call) => ({
    ...answer(call),
    response:
      call % 2
        ? 'Machine learning learns patterns from data.'
        : 'Machine learning learns patterns from data!',
  }));

  const result = await runConversation(
    { initialQuery: 'Hello', maxTurns: 10, repetitionWindow: 4, novelty: false },
    llm.client,
  );

  expect(result.endReason).toBe('repetition');
  expect(result.completedTurns).toBe(2);
  expect(await exportedRows(result)).toHaveLength(2);
  expect((await exportedJsonl(result)).endReason).toBe('repetition');
});

describe('the novelty guard', () => {
  test('a question that re-asks the seed is asked for again, warmer, with its own seed and the questions asked so far', async () => {
    const llm = fakeLlmService();
    const chats: Parameters<OllamaClient['chat']>[0][] = [];
    const ollama = ollamaClient({
      chat: async (request) => {
        chats.push(request);
        // The first question re-asks the seed in other case and punctuation; the resample asks something new.
        const content = chats.length === 1 ? 'why is the SKY blue' : `New question ${chats.length}?`;
        return {
          model: request.model,
          message: { role: 'assistant', content },
          prompt_eval_count: 30,
          eval_count: 7,
        };
      },
    });
    const result = await runConversation(
      { initialQuery: 'Why is the sky blue?', maxTurns: 2, local: { temperature: 0.3 } },
      llm.client,
      undefined,
      ollama,
    );

    expect(result.endReason).toBe('max_turns');
    expect(result.turns.map((t) => t.localResponse)).toEqual(['New question 2?', 'New question 3?']);
    expect(result.turns[0]).toMatchObject({
      resamples: { cloud: 0, local: 1 },
      // Both local calls of the turn count.
      localUsage: { inputTokens: 60, outputTokens: 14 },
    });
    expect(result.turns[1]?.resamples).toBeUndefined();
    expect(result.usage?.local).toEqual({ inputTokens: 90, outputTokens: 21 });
    expect(chats).toHaveLength(3);
    expect(chats[0]?.options).toEqual({ num_predict: 50, temperature: 0.3 });
    expect(chats[1]?.options).toEqual({ num_predict: 50, temperature: 0.45, seed: expect.any(Number) });
    expect(chats[1]?.messages?.at(-1)?.content).toMatch(
      /These questions were asked already; ask a different one[^\n]*\n- Why is the sky blue\?\n- why is the SKY blue$/,
    );
    const rows = await exportedRows(result);
    expect(rows[0]?.endsWith(',0,1')).toBe(true);
    expect(rows[1]?.endsWith(',0,0')).toBe(true);
    const jsonl = (await exportedJsonl(result)) as unknown as { turns: { resamples?: unknown }[] };
    expect(jsonl.turns[0]?.resamples).toEqual({ cloud: 0, local: 1 });
  });

  test('a question still repeated after maxResamples is kept, and the conversation ends as repetition', async () => {
    const llm = fakeLlmService();
    const { client, calls } = fakeOllama(async () => 'Hello?');
    const result = await runConversation(
      { initialQuery: 'Hello', maxTurns: 5, novelty: { maxResamples: 1 } },
      llm.client,
      undefined,
      client,
    );
    expect(result.endReason).toBe('repetition');
    expect(result.completedTurns).toBe(1);
    expect(result.turns[0]).toMatchObject({ localResponse: 'Hello?', resamples: { cloud: 0, local: 1 } });
    expect(calls()).toBe(2);
    expect((await exportedJsonl(result)).endReason).toBe('repetition');
  });

  test('an answer said again is asked for again with a note; still repeated, the conversation ends before the turn, its calls counted', async () => {
    const llm = fakeLlmService(async (call) => ({ ...answer(call), response: 'The sun is shining.' }));
    const result = await runConversation(
      { initialQuery: 'Why is the sky blue?', maxTurns: 5, cloud: { systemPrompt: 'Be brief.' } },
      llm.client,
    );
    // Turn 1's answer is new; turn 2's repeats it, twice more asked for, still the same.
    expect(result.endReason).toBe('repetition');
    expect(result.completedTurns).toBe(1);
    expect(llm.requests).toHaveLength(4);
    expect(llm.requests[1]).toMatchObject({ system: 'Be brief.' });
    // The note goes after the query, at the end: the system prompt and the conversation before stay as cached.
    expect(llm.requests[2]).toMatchObject({ system: 'Be brief.', temperature: 0.85 });
    expect(llm.requests[2]!.messages!.slice(0, -1)).toEqual(llm.requests[1]!.messages!.slice(0, -1));
    expect(llm.requests[2]!.messages!.at(-1)!.content).toMatch(
      /\n\n\(Say something that has not been said before in the conversation/,
    );
    expect(llm.requests[3]?.temperature).toBe(1);
    // The three refused calls of turn 2 are in no turn, but their tokens are in the totals.
    expect(result.usage?.cloud).toEqual({ inputTokens: 10 + 20 + 30 + 40, outputTokens: 80 });
    expect(await exportedRows(result)).toHaveLength(1);
  });

  test('novelty: false asks nothing again', async () => {
    const llm = fakeLlmService(async (call) => ({ ...answer(call), response: 'Same.' }));
    const { client, calls } = fakeOllama(async () => 'Same?');
    const result = await runConversation(
      { initialQuery: 'Hello', maxTurns: 3, novelty: false },
      llm.client,
      undefined,
      client,
    );
    expect(result.endReason).toBe('max_turns');
    expect(llm.requests).toHaveLength(3);
    expect(calls()).toBe(3);
  });
});

test('options reach the models: per-side model, persona, temperature, max tokens and the question template', async () => {
  const llm = fakeLlmService();
  const chats: Parameters<OllamaClient['chat']>[0][] = [];
  const ollama = ollamaClient({
    chat: async (request) => {
      chats.push(request);
      return { model: request.model, message: { role: 'assistant', content: 'Why?' } };
    },
  });

  await runConversation(
    {
      initialQuery: 'Hello',
      maxTurns: 1,
      cloud: { model: 'cloud-x', systemPrompt: 'You are a pirate.', temperature: 0.2, maxTokens: 42 },
      local: {
        model: 'local-y',
        systemPrompt: 'You are a child.',
        temperature: 1.5,
        maxTokens: 12,
        questionTemplate: 'Q: {question} A: {answer} -> ask why',
      },
    },
    llm.client,
    undefined,
    ollama,
  );

  expect(llm.requests[0]).toMatchObject({
    model: 'cloud-x',
    system: 'You are a pirate.',
    temperature: 0.2,
    maxTokens: 42,
  });
  expect(chats[0]).toMatchObject({
    model: 'local-y',
    options: { num_predict: 12, temperature: 1.5 },
    messages: [
      { role: 'system', content: 'You are a child.' },
      { role: 'user', content: 'Q: Hello A: Answer 1, with a comma -> ask why' },
    ],
  });
});

test('a paused run does not advance until resumed, then completes', async () => {
  const { llm, blocked, release } = blockingLlm(2);

  const result = await runConversation({ initialQuery: 'Hello', maxTurns: 4 }, llm.client, async (handle) => {
    await blocked;
    await handle.signal(pauseSignal);
    release();
    // The turn in flight completes; then the run waits.
    const paused = await waitForTranscript(handle, (t) => t.completedTurns === 2);
    expect(paused).toMatchObject({ status: 'paused', paused: true, completedTurns: 2, maxTurns: 4 });
    // What the Web UI shows as the run's current details.
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(
      /^\*\*paused\*\* · turn 2 of 4 · times out at .*\n\n"Hello" · cloud/,
    );

    await env.sleep('20 minutes'); // free on the time-skipping server
    expect(await handle.query(transcriptQuery)).toMatchObject({ status: 'paused', completedTurns: 2 });
    expect(llm.requests).toHaveLength(2);

    await handle.signal(resumeSignal);
  });

  expect(result.endReason).toBe('max_turns');
  expect(result.completedTurns).toBe(4);
  expect(result.turns.map((t) => t.turn)).toEqual([1, 2, 3, 4]);
  expect(await exportedRows(result)).toHaveLength(4);
});

test('a stop signal ends a paused run at once, still exporting', async () => {
  const { llm, blocked, release } = blockingLlm(2);

  const result = await runConversation({ initialQuery: 'Hello', maxTurns: 5 }, llm.client, async (handle) => {
    await blocked;
    await handle.signal(pauseSignal);
    release();
    await waitForTranscript(handle, (t) => t.completedTurns === 2);
    await handle.signal(stopSignal);
  });

  expect(result.endReason).toBe('stop_signal');
  expect(result.completedTurns).toBe(2);
  expect(await exportedRows(result)).toHaveLength(2);
});

test('the timeout still fires while a run is paused, and the turns done are exported', async () => {
  const { llm, blocked, release } = blockingLlm(2);

  const { result, handle } = await runConversationWithHandle(
    { initialQuery: 'Hello', maxTurns: 10, timeoutMinutes: 30 },
    llm.client,
    async (h) => {
      await blocked;
      await h.signal(pauseSignal);
      release();
      await waitForTranscript(h, (t) => t.completedTurns === 2);
    },
  );

  expect(result.endReason).toBe('timeout');
  expect(result.completedTurns).toBe(2);
  expect(await exportedRows(result)).toHaveLength(2);
  expect((await exportedJsonl(result)).endReason).toBe('timeout');
  const description = await handle.describe();
  const elapsedMs = description.closeTime!.getTime() - description.startTime.getTime();
  expect(elapsedMs).toBeGreaterThanOrEqual(30 * 60_000);
  expect(elapsedMs).toBeLessThan(31 * 60_000);
});

test('Ollama unreachable for 20 s is survived by the default retry policy', async () => {
  // Retries come at 1, 3, 7, 15 and 31 s after the first attempt: six refused calls span 31 s.
  const ollama = fakeOllama(async (call) => {
    if (call >= 2 && call <= 7) throw new TypeError('fetch failed');
    return `Follow-up question ${call}?`;
  });

  const result = await runConversation(
    { initialQuery: 'Hello', maxTurns: 3 },
    fakeLlmService().client,
    undefined,
    ollama.client,
  );

  expect(result.endReason).toBe('max_turns');
  expect(result.completedTurns).toBe(3);
  expect(ollama.calls()).toBe(9);
});

test('search attributes and summaries make the run findable in the Web UI', async () => {
  const { result, handle } = await runConversationWithHandle(
    { initialQuery: 'Tell me about machine learning', maxTurns: 2, local: { model: 'fake-local' } },
    fakeLlmService().client,
  );
  expect(result.endReason).toBe('max_turns');

  const description = await handle.describe();
  expect(description.typedSearchAttributes.get(CLOUD_MODEL)).toBe('fake-cloud');
  expect(description.typedSearchAttributes.get(LOCAL_MODEL)).toBe('fake-local');
  expect(description.typedSearchAttributes.get(TURNS_COMPLETED)).toBe(2);
  expect(description.typedSearchAttributes.get(END_REASON)).toBe('max_turns');
  expect(await description.staticSummary()).toBe(
    '"Tell me about machine learning" · cloud (default) ⇄ local fake-local',
  );

  const history = await handle.fetchHistory();
  // The model calls' activities, and the export's local activity marker (the provider queues' has none).
  const summaries = (history.events ?? [])
    .filter(
      (e) => e.activityTaskScheduledEventAttributes || (e.markerRecordedEventAttributes && e.userMetadata),
    )
    .map((e) => {
      const data = e.userMetadata?.summary?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : undefined;
    });
  expect(summaries).toEqual([
    'turn 1 · cloud',
    'turn 1 · local',
    'turn 2 · cloud',
    'turn 2 · local',
    'export · 2 turns · max_turns',
  ]);
});

test('search attributes are upserted when a filterable value changes, not after every turn', async () => {
  const { result, handle } = await runConversationWithHandle(
    { initialQuery: 'Hello', maxTurns: 4, local: { model: 'fake-local' } },
    fakeLlmService().client,
  );
  expect(result.completedTurns).toBe(4);

  const history = await handle.fetchHistory();
  const upserts = (history.events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
  // None at the start (the start set the local model and 0 turns, see startAttributes); after turn 1 the cloud model
  // that answered; at the end the turns and the end reason. None for turns 2 and 3.
  expect(
    upserts.map((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes!.searchAttributes!.indexedFields!).sort(),
    ),
  ).toEqual([['ConversationCloudModel'], ['ConversationEndReason', 'ConversationTurns']]);
  const description = await handle.describe();
  expect(description.typedSearchAttributes.get(TURNS_COMPLETED)).toBe(4);
  expect(description.typedSearchAttributes.get(END_REASON)).toBe('max_turns');
});

test('200 turns complete through continue-as-new: every turn once, exported, history bounded', async () => {
  const llm = fakeLlmService();
  const { result, handle, firstRunId } = await runConversationWithHandle(
    { initialQuery: 'Tell me about machine learning', maxTurns: 200 },
    llm.client,
  );

  expect(result.endReason).toBe('max_turns');
  expect(result.completedTurns).toBe(200);
  expect(result.turns.map((t) => t.turn)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(llm.requests).toHaveLength(200);
  const rows = await exportedRows(result);
  expect(rows).toHaveLength(200);
  expect(rows[199]).toContain(`,${result.conversationId},200,`);

  const description = await handle.describe();
  expect(description.runId).not.toBe(firstRunId);
  expect(description.typedSearchAttributes.get(TURNS_COMPLETED)).toBe(200);
  // The last run did at most TURNS_PER_RUN turns: ~13 events a turn, not 200 turns' worth.
  expect(description.historyLength).toBeLessThan(TURNS_PER_RUN * 20);
}, 600_000);

test('the timeout is one absolute deadline across continue-as-new, not restarted by each run', async () => {
  const { result, handle, firstRunId } = await runConversationWithHandle(
    { initialQuery: 'Hello', maxTurns: 200, delayBetweenTurnsMs: 60_000, timeoutMinutes: 40.5 },
    fakeLlmService().client,
  );

  // Turn n starts at minute n − 1; a new run starts after turn 25. A restarted timer would allow ~65 turns.
  expect(result.endReason).toBe('timeout');
  expect(result.completedTurns).toBeGreaterThanOrEqual(40);
  expect(result.completedTurns).toBeLessThanOrEqual(41);
  expect(await exportedRows(result)).toHaveLength(result.completedTurns);
  expect((await handle.describe()).runId).not.toBe(firstRunId);
}, 300_000);

test('a capped provider’s calls go to its own task queue, an uncapped one’s to the workflow’s queue', async () => {
  const deps = testWorkerDeps(fakeLlmService().client);
  const { taskQueue } = deps;
  const cloudQueue = `${taskQueue}-cloud`;
  const localQueue = `${taskQueue}-local`;
  const workers = await createWorkers({
    ...deps,
    providers: {
      cloud: { taskQueue: cloudQueue, maxConcurrentCalls: 5, maxCallsPerSecond: 0 },
      local: { taskQueue: localQueue, maxConcurrentCalls: 0, maxCallsPerSecond: 0 },
    },
  });
  const [main, ...providerWorkers] = workers;
  const running = providerWorkers.map((w) => w.run());
  const handle = await main!.runUntil(async () => {
    const { handle } = await startConversation(env.client, taskQueue, {
      conversationId: `conversation-${randomUUID()}`,
      initialQuery: 'Where do the calls run?',
      maxTurns: 2,
    });
    await handle.result();
    return handle;
  });
  for (const w of providerWorkers) w.shutdown();
  await Promise.all(running);

  expect(await scheduledOn(handle)).toEqual(new Set([`askCloud@${cloudQueue}`, `askLocal@${taskQueue}`]));
});

test('a conversation’s sides call the endpoints it names, each on its capped endpoint’s own task queue', async () => {
  const answers = new FakeOpenAiServer({ kind: 'reply', text: ' An answer from the fleet. ', latencyMs: 20 });
  const questions = new FakeOpenAiServer({
    kind: 'reply',
    text: 'Why does the fleet answer?',
    latencyMs: 20,
  });
  const [answersUrl, questionsUrl] = await Promise.all([answers.start(), questions.start()]);
  try {
    const deps = testWorkerDeps(fakeLlmService().client);
    const { taskQueue } = deps;
    const endpointQueue = `${taskQueue}-fleet`;
    const fleet = createOpenAiClient({ baseUrl: answersUrl });
    const box = createOpenAiClient({ baseUrl: questionsUrl });
    const endpoints = new Map([
      [
        'fleet',
        {
          cloud: {
            client: openAiAnswerClient(fleet, 'chat', 'fleet-model'),
            provider: 'openai',
            maxTokens: 64,
          },
          taskQueue: endpointQueue,
        },
      ],
      ['box', { local: { client: openAiQuestionServer(box, 'chat'), model: 'box-model', maxTokens: 32 } }],
    ]);
    const workers = await createWorkers({
      ...deps,
      activities: { ...deps.activities, endpoints },
      providers: {
        cloud: { taskQueue: `${taskQueue}-cloud`, maxConcurrentCalls: 5, maxCallsPerSecond: 0 },
        local: { taskQueue: `${taskQueue}-local`, maxConcurrentCalls: 0, maxCallsPerSecond: 0 },
        endpoints: [{ taskQueue: endpointQueue, maxConcurrentCalls: 1, maxCallsPerSecond: 0 }],
      },
    });
    const [main, ...providerWorkers] = workers;
    const running = providerWorkers.map((w) => w.run());
    const { handle, result } = await main!.runUntil(async () => {
      const { handle } = await startConversation(env.client, taskQueue, {
        conversationId: `conversation-${randomUUID()}`,
        initialQuery: 'Who answers?',
        maxTurns: 2,
        novelty: false,
        cloud: { endpoint: 'fleet' },
        local: { endpoint: 'box', model: 'box-model' },
      });
      return { handle, result: await handle.result() };
    });
    for (const w of providerWorkers) w.shutdown();
    await Promise.all(running);

    expect(result.endReason).toBe('max_turns');
    expect(result.turns.map((t) => [t.cloudResponse, t.localResponse, t.cloudModel, t.localModel])).toEqual([
      ['An answer from the fleet.', 'Why does the fleet answer?', 'fleet-model', 'box-model'],
      ['An answer from the fleet.', 'Why does the fleet answer?', 'fleet-model', 'box-model'],
    ]);
    expect(answers.received.map((c) => c.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    expect(questions.received).toHaveLength(2);
    // The capped endpoint's calls on its queue; the uncapped one's on the workflow's own.
    expect(await scheduledOn(handle)).toEqual(
      new Set([`askCloud@${endpointQueue}`, `askLocal@${taskQueue}`]),
    );
  } finally {
    await Promise.all([answers.stop(), questions.stop()]);
  }
});

test('a conversation naming an endpoint its worker does not have ends with a failure that names it', async () => {
  const { result } = await runConversationWithHandle(
    { initialQuery: 'Anyone there?', maxTurns: 1, local: { endpoint: 'nowhere' } },
    fakeLlmService().client,
  );
  expect(result.endReason).toBe('error');
  expect(result.error?.message).toMatch(/local\.endpoint "nowhere": this worker has no such endpoint/);
});
