/**
 * The production topology on one machine: a real Temporal server (built from go.temporal.io/server by
 * scripts/setup-postgres-backend.sh, which this file runs first: ~15 minutes the first time, seconds after) on
 * PostgreSQL, with two worker processes on the same task queues. The models are deterministic fakes behind the real
 * HTTP clients, so an interrupted run must produce exactly the transcript of an uninterrupted one, and the fakes
 * count the model calls.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { transcriptQuery, WORKFLOW_TYPE } from '../../src/contracts/conversation';
import type { conversationWorkflow } from '../../src/worker/workflows';
import { groupAlive } from '../../src/stack/supervisor';
import { FakeOllama, hashedQuestion } from '../fixtures/ollama-server';
import { withWorkerComponents } from '../helpers/worker-components';
import { startStack, type StackHandle } from '../helpers/stack';
import { repoRoot } from '../helpers/tools';
import { until } from '../helpers/wait';

const TURNS = 6;
// Columns that depend on the conversation, not on when or how fast it ran.
const CONTENT_COLUMNS = ['turn', 'query', 'cloud_response', 'ollama_response', 'cloud_model', 'local_model'];

beforeAll(async () => {
  // Builds the server, its SQL tool and the UI server once (Go's build cache keeps them), links PostgreSQL.
  await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/setup-postgres-backend.sh')], {
    timeout: 45 * 60_000,
  });
}, 46 * 60_000);

/** Distinct identities polling the conversation task queue for workflow tasks. */
async function workflowPollers(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'llm-conversations' },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return [...new Set(pollers.map((p) => p.identity ?? ''))];
  } finally {
    await connection.close();
  }
}

describe('TEMPORAL_BACKEND=postgres WORKER_COUNT=2 npm start', () => {
  let stack: StackHandle;
  let ollama: FakeOllama;

  beforeAll(async () => {
    ollama = new FakeOllama({ latencyMs: 50, reply: hashedQuestion });
    await ollama.start();
    // The stack uses the Ollama that answers at OLLAMA_HOST: the fake, for both the Lambda's provider and the worker.
    stack = await startStack({ TEMPORAL_BACKEND: 'postgres', WORKER_COUNT: '2', OLLAMA_HOST: ollama.url });
  }, 900_000);

  afterAll(async () => {
    if (stack) {
      const pids = stack.componentPids();
      await stack.interrupt();
      // Ctrl-C leaves no orphan: PostgreSQL, the server, its UI and both workers are gone.
      expect(pids.filter((pid) => groupAlive(pid))).toEqual([]);
    }
    await ollama?.stop();
  }, 120_000);

  it('runs PostgreSQL, the Temporal server, its Web UI and two workers polling the same task queue', async () => {
    expect(stack.output()).toContain('Temporal server on PostgreSQL');
    expect(
      Object.keys(JSON.parse(readFileSync(path.join(stack.dataDir, 'stack.json'), 'utf8')).components),
    ).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'worker', 'worker-2']));
    // The stack is ready once a worker polls; the second joins within moments.
    await until(
      () => workflowPollers(stack.env.TEMPORAL_ADDRESS!),
      (identities) => identities.length === 2,
      { timeoutMs: 60_000, intervalMs: 500, what: 'two workers polling the task queue' },
    );
    const namespaces = await fetch(`${stack.env.TEMPORAL_UI_URL}/api/v1/namespaces`);
    expect(namespaces.status).toBe(200);
    expect(JSON.stringify(await namespaces.json())).toContain('"name":"default"');
  });

  it('completes the seed conversation, exports its CSV and indexes its search attributes', async () => {
    const callsBefore = ollama.calls;
    const res = await fetch(`${stack.apiUrl}/conversation?wait=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...stack.apiHeaders },
      body: JSON.stringify({
        initialQuery: 'Tell me about machine learning',
        outputFile: 'conversation.csv',
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { turns: number; conversationId: string };
    expect(body.turns).toBe(5);
    const rows = parse(readFileSync(path.join(stack.outputDir, 'conversation.csv'), 'utf8')) as string[][];
    expect(rows.slice(1).map((r) => r[rows[0]!.indexOf('turn')])).toEqual(['1', '2', '3', '4', '5']);
    // One cloud call (the Lambda's Ollama provider) and one local call per turn.
    expect(ollama.calls - callsBefore).toBe(10);

    const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
    try {
      const client = new Client({ connection });
      const query = `WorkflowId = '${body.conversationId}' AND ConversationTurns = 5 AND ConversationEndReason = 'max_turns'`;
      const found = await until(
        async () => {
          const ids: string[] = [];
          for await (const run of client.workflow.list({ query })) ids.push(run.workflowId);
          return ids;
        },
        (ids) => ids.length === 1,
        { timeoutMs: 30_000, intervalMs: 500, what: `visibility to answer ${query}` },
      );
      expect(found).toEqual([body.conversationId]);
    } finally {
      await connection.close();
    }
  }, 300_000);
});

describe('on PostgreSQL with two workers, conversations survive', () => {
  let baseline: Record<string, string>[];
  const stack = withWorkerComponents({
    llmLatencyMs: 150,
    ollama: { latencyMs: 150, reply: hashedQuestion },
    env: { TEMPORAL_BACKEND: 'postgres' },
    start: [['postgres'], ['temporal'], ['worker'], ['worker', 'worker-2']],
    ready: async ({ components }) => {
      // As with `npm run start:worker` twice: the second finds the metrics port taken and runs without metrics.
      const worker2Log = path.join(components.env.STACK_DATA_DIR!, 'logs', 'worker-2.log');
      await until(
        // Its log file appears once the supervisor's stream has opened it, which may be after worker-2 counts as started.
        () => (existsSync(worker2Log) ? readFileSync(worker2Log, 'utf8') : ''),
        (log) => log.includes('WORKER_METRICS_ADDRESS is taken'),
        { timeoutMs: 30_000, intervalMs: 200, what: "worker-2's warning about the taken metrics port" },
      );
      baseline = await finish(await start('conversation-pg-baseline'));
      expect(baseline.map((r) => r.turn)).toEqual(['1', '2', '3', '4', '5', '6']);
    },
    timeoutMs: 300_000,
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

  async function untilTurns(
    handles: WorkflowHandle<typeof conversationWorkflow>[],
    turns: number,
  ): Promise<void> {
    await until(
      () => Promise.all(handles.map(async (h) => (await h.query(transcriptQuery)).completedTurns)),
      (done) => done.every((n) => n >= turns),
      { timeoutMs: 120_000, intervalMs: 200, what: `${turns} turns in every conversation` },
    );
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

  it('one of two workers being SIGKILLed mid-run: the other finishes every conversation, each turn once', async () => {
    const calls = { llm: stack.llm.calls, ollama: stack.ollama.calls };
    const handles = await Promise.all([1, 2, 3, 4].map((i) => start(`conversation-pg-sigkill-${i}`)));
    await untilTurns(handles, 2);
    await stack.components.stop('worker', { signal: 'SIGKILL' });
    for (const handle of handles) expect(await finish(handle)).toEqual(baseline);
    // A model call the killed worker had in flight is made again by the other one: at most one per conversation.
    const expected = handles.length * TURNS;
    for (const made of [stack.llm.calls - calls.llm, stack.ollama.calls - calls.ollama]) {
      expect(made).toBeGreaterThanOrEqual(expected);
      expect(made).toBeLessThanOrEqual(expected + handles.length);
    }
  }, 600_000);

  it('the Temporal server restarting mid-run', async () => {
    const handle = await start('conversation-pg-server-restart');
    await untilTurns([handle], 2);
    await stack.components.stop('temporal');
    await stack.components.start('temporal', 'temporal-restarted');
    expect(await finish(handle)).toEqual(baseline);
  }, 600_000);

  it('PostgreSQL restarting mid-run', async () => {
    const handle = await start('conversation-pg-postgres-restart');
    await untilTurns([handle], 2);
    await stack.components.stop('postgres');
    await stack.components.start('postgres', 'postgres-restarted');
    expect(await finish(handle)).toEqual(baseline);
  }, 600_000);
});
