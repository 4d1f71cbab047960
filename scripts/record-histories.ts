/**
 * `npm run histories:record`: runs one conversation per scenario on a real Temporal dev server with the real
 * worker (models replaced by a fixed-latency fake) and saves each run's event history under
 * test/fixtures/histories/. test/integration/replay.test.ts replays them against the current workflow code, so a
 * change that would break conversations already running fails CI. Re-record only when such a break is intended
 * (and running conversations have been drained or versioned with `patched`).
 */
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  pauseSignal,
  resumeSignal,
  stopSignal,
  transcriptQuery,
  WORKFLOW_TYPE,
  type ConversationInput,
} from '../src/conversation/definitions';
import type { conversationWorkflow } from '../src/conversation/workflows';
import { startBenchStack } from './bench/full-stack';
import { repoRoot } from '../src/stack/paths';

const OUT = path.join(repoRoot, 'test', 'fixtures', 'histories');

type Handle = Awaited<ReturnType<Client['workflow']['start']>>;

interface Scenario {
  input: Omit<ConversationInput, 'conversationId'>;
  /** What a user does while the run goes on. */
  during?: (handle: Handle) => Promise<void>;
}

async function untilTurns(handle: Handle, turns: number): Promise<void> {
  while ((await handle.query(transcriptQuery)).completedTurns < turns) await delay(100);
}

const SCENARIOS: Record<string, Scenario> = {
  'max-turns': { input: { initialQuery: 'Tell me about machine learning', maxTurns: 3 } },
  'stop-signal': {
    input: { initialQuery: 'Tell me about rivers', maxTurns: 20, delayBetweenTurnsMs: 300 },
    during: async (h) => {
      await untilTurns(h, 2);
      await h.signal(stopSignal);
    },
  },
  'pause-resume': {
    input: { initialQuery: 'Tell me about tides', maxTurns: 3, delayBetweenTurnsMs: 300 },
    during: async (h) => {
      await untilTurns(h, 1);
      await h.signal(pauseSignal);
      await delay(1000);
      await h.signal(resumeSignal);
    },
  },
  'stop-phrase': {
    input: { initialQuery: 'Tell me about bees', maxTurns: 5, stopPhrases: ['what comes next'] },
  },
  timeout: {
    input: {
      initialQuery: 'Tell me about clocks',
      maxTurns: 50,
      delayBetweenTurnsMs: 1000,
      timeoutMinutes: 0.1,
    },
  },
  'continue-as-new': { input: { initialQuery: 'Tell me about long talks', maxTurns: 30 } },
};

async function main(): Promise<void> {
  const stack = await startBenchStack({ latencyMs: 0 });
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  mkdirSync(OUT, { recursive: true });
  try {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      const workflowId = `conversation-history-${name}`;
      const handle = await client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
        taskQueue: 'llm-conversations',
        workflowId,
        args: [{ ...scenario.input, conversationId: workflowId }],
      });
      await scenario.during?.(handle);
      const result = await handle.result();
      // The first run: for continue-as-new that is the one that carried its state on.
      const history = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
      writeFileSync(path.join(OUT, `${name}.json`), historyToJSON(history));
      console.log(
        `${name}: ${result.endReason}, ${result.completedTurns} turns, ${history.events?.length} events`,
      );
    }
  } finally {
    await connection.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
