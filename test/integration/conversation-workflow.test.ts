import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ChatResponse } from 'ollama';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UpstreamError } from '../../src/shared/errors';
import { CSV_COLUMNS } from '../../src/conversation/activities/transcript-export';
import type {
  GenerateRequest,
  GenerateResponse,
  LlmServiceClient,
} from '../../src/conversation/activities/llm-service-client';
import type { OllamaChatClient } from '../../src/conversation/activities/local';
import { stopSignal, transcriptQuery, WORKFLOW_TYPE } from '../../src/conversation/definitions';
import type { ConversationInput, ConversationResult } from '../../src/conversation/definitions';
import type { conversationWorkflow } from '../../src/conversation/workflows';
import { createWorker } from '../../src/conversation/worker';
import { requireTool } from '../helpers/tools';

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
      workflowsPath: require.resolve('../../src/conversation/workflows'),
      logger: new DefaultLogger('WARN'),
    }),
  ]);
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

function fakeOllama(): OllamaChatClient {
  let calls = 0;
  return {
    chat: async (request) => {
      calls++;
      return {
        model: request.model,
        message: { role: 'assistant', content: `  Follow-up question ${calls}?\n` },
        prompt_eval_count: 30,
        eval_count: 7,
      } as ChatResponse;
    },
  };
}

async function runConversation(
  input: Omit<ConversationInput, 'conversationId'>,
  llm: LlmServiceClient,
  during?: (
    handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof conversationWorkflow>>>,
  ) => Promise<void>,
): Promise<ConversationResult> {
  const taskQueue = `conversation-test-${randomUUID()}`;
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: {
      llmService: { client: llm, maxTokens: 100 },
      ollama: { client: fakeOllama(), model: 'fake-local', maxTokens: 50 },
      output: { dir: outputDir },
    },
  });
  return worker.runUntil(async () => {
    const conversationId = `conversation-${randomUUID()}`;
    const handle = await env.client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: conversationId,
      args: [{ ...input, conversationId }],
    });
    await during?.(handle);
    return handle.result();
  });
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
