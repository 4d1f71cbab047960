/**
 * Durability on the real Temporal dev server (SQLite) with the real worker process, whose models are
 * deterministic fakes behind the real HTTP clients: the transcript depends only on the input, so an interrupted
 * run must produce exactly the transcript of an uninterrupted one.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { transcriptQuery, WORKFLOW_TYPE } from '../../src/contracts/conversation';
import type { conversationWorkflow } from '../../src/worker/workflows';
import { withWorkerComponents } from '../helpers/worker-components';
import { hashedQuestion } from '../fixtures/ollama-server';

const TURNS = 6;
// Columns that depend on the conversation, not on when or how fast it ran.
const CONTENT_COLUMNS = ['turn', 'query', 'cloud_response', 'ollama_response', 'cloud_model', 'local_model'];

const stack = withWorkerComponents({
  llmLatencyMs: 150,
  ollama: {
    latencyMs: 150,
    reply: hashedQuestion,
  },
  timeoutMs: 180_000,
});

async function start(id: string): Promise<WorkflowHandle<typeof conversationWorkflow>> {
  return stack.client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
    taskQueue: 'llm-conversations',
    workflowId: id,
    args: [
      {
        initialQuery: 'What makes a system durable?',
        maxTurns: TURNS,
        conversationId: id,
        outputFile: `${id}.csv`,
      },
    ],
  });
}

async function untilTurns(handle: WorkflowHandle<typeof conversationWorkflow>, turns: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await handle.query(transcriptQuery)).completedTurns < turns) {
    if (Date.now() > deadline) throw new Error(`fewer than ${turns} turns after 120 s`);
    await delay(200);
  }
}

/** How soon after the server is back a worker must answer the first query (two 5 s timeouts, and some slack). */
const QUERY_AFTER_RESTART_MS = 12_000;

/** Asks the transcript query until a worker answers it, each ask given 1 s. */
async function firstAnswer(handle: WorkflowHandle<typeof conversationWorkflow>): Promise<void> {
  for (;;) {
    try {
      await stack.client.withDeadline(Date.now() + 1_000, () => handle.query(transcriptQuery));
      return;
    } catch {
      await delay(100);
    }
  }
}

/** The transcript's content columns, from the CSV the worker exported. */
async function finish(
  handle: WorkflowHandle<typeof conversationWorkflow>,
): Promise<Record<string, string>[]> {
  const result = await handle.result();
  expect(result.endReason).toBe('max_turns');
  expect(result.completedTurns).toBe(TURNS);
  const [header, ...rows] = parse(readFileSync(result.csvPath, 'utf8')) as string[][];
  return rows.map((row) =>
    Object.fromEntries(CONTENT_COLUMNS.map((c) => [c, row[header!.indexOf(c)] ?? `missing ${c}`])),
  );
}

let baseline: Record<string, string>[];

describe('a conversation survives', () => {
  beforeAll(async () => {
    baseline = await finish(await start('conversation-durability-baseline'));
    expect(baseline.map((r) => r.turn)).toEqual(['1', '2', '3', '4', '5', '6']);
  }, 180_000);

  it('its worker being SIGKILLed mid-run: a new worker finishes it with every turn exactly once', async () => {
    const handle = await start('conversation-durability-sigkill');
    await untilTurns(handle, 2);
    await stack.components.stop('worker', { signal: 'SIGKILL' });
    await stack.components.start('worker', 'worker-after-crash');
    expect(await finish(handle)).toEqual(baseline);
  }, 300_000);

  it('the Temporal dev server stopping and restarting on the same SQLite file', async () => {
    const handle = await start('conversation-durability-server-restart');
    await untilTurns(handle, 2);
    await stack.components.stop('temporal');
    await delay(2000);
    await stack.components.start('temporal', 'temporal-restarted');
    // The first query after the restart waits behind a workflow task lost with the server (its 5 s task timeout)
    // and a sticky queue whose worker is still reconnecting (5 s): see docs/durability.md. Measured here: ~2.6 s.
    const restartedAt = Date.now();
    await firstAnswer(handle);
    expect(Date.now() - restartedAt).toBeLessThan(QUERY_AFTER_RESTART_MS);
    expect(await finish(handle)).toEqual(baseline);
  }, 300_000);

  it('Ollama being unreachable for 20 s: the local call is retried and the run completes', async () => {
    const handle = await start('conversation-durability-ollama-down');
    await untilTurns(handle, 1);
    await stack.ollama.pause();
    const callsWhileDown = stack.ollama.calls;
    await delay(20_000);
    expect(stack.ollama.calls).toBe(callsWhileDown);
    await stack.ollama.resume();
    expect(await finish(handle)).toEqual(baseline);
  }, 300_000);
});
