/**
 * What a standard conversation writes to Temporal, event by event: 5 turns started the way the API starts them
 * (its input completed with the models, the search attributes set with the start). Every event is server work on
 * every turn of every conversation, so a change that adds one (an upsert, a marker, an activity, a workflow task)
 * fails here and has to say why in this test; `npm run bench -- guard` prices it (docs/performance.md).
 */
import type { WorkflowBundle } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { WORKFLOW_TYPE } from '../../src/contracts/conversation';
import { LOCAL_MODEL, TURNS_COMPLETED } from '../../src/conversation/search-attributes';
import { startConversation } from '../../src/conversation/start';
import { createWorker } from '../../src/worker/worker';
import { LocalStore } from '../../src/output/local-store';
import { ollamaClient } from '../helpers/ollama-client';
import { hashedQuestion } from '../fixtures/ollama-server';
import { startWorkflowTestEnvironment } from '../helpers/workflow-test-environment';

jest.setTimeout(120_000);

const TURNS = 5;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let outputDir: string;

beforeAll(async () => {
  outputDir = await mkdtemp(path.join(tmpdir(), 'turn-history-'));
  ({ env, workflowBundle } = await startWorkflowTestEnvironment());
}, 300_000);

afterAll(async () => {
  await env?.teardown();
  await rm(outputDir, { recursive: true, force: true });
});

/** Models that answer at once, each reply new (so the novelty guard asks nothing again). */
const llm: LlmServiceClient = {
  generate: async (request) => ({
    response: `An answer to ${request.messages?.at(-1)?.content ?? ''}`,
    model: 'fake-cloud',
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 20 },
    latencyMs: 1,
    requestId: randomUUID(),
  }),
};
const ollama = ollamaClient({
  chat: async (request) => ({
    model: request.model,
    message: { role: 'assistant', content: hashedQuestion(request.messages?.at(-1)?.content ?? '') },
    prompt_eval_count: 30,
    eval_count: 7,
  }),
});

function countByType(events: temporal.api.history.v1.IHistoryEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    const type = temporal.api.enums.v1.EventType[e.eventType!].replace(/^EVENT_TYPE_/, '');
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

async function testWorker() {
  const taskQueue = `turn-history-${randomUUID()}`;
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: {
      llmService: { client: llm, maxTokens: 100 },
      ollama: { client: ollama, model: 'fake-local', maxTokens: 50 },
      output: { store: new LocalStore(outputDir) },
    },
  });
  return { worker, taskQueue };
}

test(`a ${TURNS}-turn conversation started as the API starts it writes 12 events a turn and 15 more once`, async () => {
  const { worker, taskQueue } = await testWorker();
  const events = await worker.runUntil(async () => {
    const { handle } = await startConversation(env.client, taskQueue, {
      conversationId: `turn-history-${randomUUID()}`,
      initialQuery: 'Tell me about histories',
      maxTurns: TURNS,
      // As the API completes the input (withConfigDefaults): the models each side answers with.
      cloud: { model: 'fake-cloud' },
      local: { model: 'fake-local' },
    });
    expect((await handle.result()).completedTurns).toBe(TURNS);
    return (await handle.fetchHistory()).events ?? [];
  });

  // Per turn, as the bare Temporal floor (bench/floor/): two activities, each scheduled, started and completed,
  // and the workflow task each completion brings. Once per conversation: the start and its first workflow task,
  // the worker's provider queues (a local activity's marker), the durable timeout's timer (started, then
  // cancelled), the end's search attributes, the export (a local activity's marker, in the last workflow task),
  // the completion.
  expect(countByType(events)).toEqual({
    WORKFLOW_EXECUTION_STARTED: 1,
    WORKFLOW_TASK_SCHEDULED: 2 * TURNS + 1,
    WORKFLOW_TASK_STARTED: 2 * TURNS + 1,
    WORKFLOW_TASK_COMPLETED: 2 * TURNS + 1,
    MARKER_RECORDED: 2,
    TIMER_STARTED: 1,
    ACTIVITY_TASK_SCHEDULED: 2 * TURNS,
    ACTIVITY_TASK_STARTED: 2 * TURNS,
    ACTIVITY_TASK_COMPLETED: 2 * TURNS,
    TIMER_CANCELED: 1,
    UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 1,
    WORKFLOW_EXECUTION_COMPLETED: 1,
  });
  expect(events).toHaveLength(12 * TURNS + 10);
});

test('a conversation started without its search attributes (Temporal CLI, UI) gets them in its first task', async () => {
  const { worker, taskQueue } = await testWorker();
  const { events, attributes } = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `turn-history-${randomUUID()}`,
      args: [{ initialQuery: 'Tell me about starts', maxTurns: 1, local: { model: 'fake-local' } }],
    });
    await handle.result();
    return {
      events: (await handle.fetchHistory()).events ?? [],
      attributes: (await handle.describe()).typedSearchAttributes,
    };
  });
  const upserts = events.flatMap((e) => {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    return fields ? [Object.keys(fields).sort()] : [];
  });
  expect(upserts[0]).toEqual(['ConversationLocalModel', 'ConversationTurns']);
  expect(attributes.get(LOCAL_MODEL)).toBe('fake-local');
  expect(attributes.get(TURNS_COMPLETED)).toBe(1);
});
