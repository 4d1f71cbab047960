/**
 * `npm run histories:record`: runs one workflow per scenario (a way a conversation or a campaign ends) on a real
 * Temporal dev server with the real worker (models replaced by a fixed-latency fake) and saves each run's event
 * history under test/fixtures/histories/. test/integration/replay.test.ts replays them against the workflow code,
 * so code that does not replay its own build's histories fails CI. Record again whenever a change alters a
 * workflow's commands: running workflows stay on the build that started them (worker deployment versioning), so
 * only the current build's histories matter. `npm run histories:record -- name…` records only the named scenarios,
 * leaving the other files as they are.
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
} from '../src/contracts/conversation';
import type { conversationWorkflow } from '../src/worker/workflows';
import {
  campaignStatusQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../src/contracts/campaign';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import { CAMPAIGN_WORKFLOW_TYPE } from '../src/contracts/campaign';
import { ITEMS_PER_RUN, type campaignWorkflow } from '../src/campaign/workflows/campaign';
import { startBenchStack } from '../bench/full-stack';
import { repoRoot } from '../src/stack/paths';

const OUT = path.join(repoRoot, 'test', 'fixtures', 'histories');

type Handle = Awaited<ReturnType<Client['workflow']['start']>>;

interface Scenario {
  input: Omit<ConversationInput, 'conversationId'>;
  /** What a user does while the run goes on. */
  during?: (handle: Handle) => Promise<void>;
  /** The run ends by failing (a cancel): the history is kept all the same. */
  fails?: boolean;
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
  budget: {
    input: { initialQuery: 'Tell me about budgets', maxTurns: 10, maxTotalTokens: 150 },
  },
  // An endpoint the worker does not know (the API would refuse it; a start from the Temporal CLI gets this far).
  error: {
    input: { initialQuery: 'Tell me about errors', maxTurns: 3, cloud: { endpoint: 'no-such-endpoint' } },
  },
  // Cancelled through Temporal: what was said is exported, then the run reports the cancellation.
  cancelled: {
    input: { initialQuery: 'Tell me about endings', maxTurns: 20, delayBetweenTurnsMs: 300 },
    during: async (h) => {
      await untilTurns(h, 1);
      await h.cancel();
    },
    fails: true,
  },
  // The novelty guard: the fake model says the same thing about echoes until asked with a sampling seed. The local
  // side's resample (it sends one) finds a new question; the cloud's two resamples (no seed) do not, so the
  // conversation ends as `repetition` in turn 2.
  'novelty-resample': { input: { initialQuery: 'Tell me about echoes', maxTurns: 3 } },
};

/** Campaigns: their workflow id must be `campaign-<campaignId>`, which the replay test derives from the name. */
const CAMPAIGN_SCENARIOS: Record<
  string,
  { spec: CampaignSpec; during?: (handle: CampaignHandle) => Promise<void> }
> = {
  campaign: {
    spec: {
      name: 'history',
      seeds: ['Tell me about rivers', 'Tell me about lakes', 'Tell me about seas'],
      pairs: [{}, { cloud: { temperature: 0.2 } }],
      maxTurns: 2,
      delayBetweenTurnsMs: 200,
      concurrency: 2,
      judge: { model: 'judge', side: 'local', rubric: 'Score the conversation.' },
    },
    during: async (h) => {
      while ((await h.query(campaignStatusQuery)).counts.running < 2) await delay(100);
      await h.signal(pauseCampaignSignal);
      await delay(1000);
      await h.signal(resumeCampaignSignal);
    },
  },
  'campaign-cancelled': {
    spec: {
      name: 'history-cancelled',
      seeds: ['Tell me about hills', 'Tell me about valleys', 'Tell me about plains'],
      pairs: [{}],
      maxTurns: 3,
      delayBetweenTurnsMs: 300,
      concurrency: 1,
    },
    during: async (h) => {
      while ((await h.query(campaignStatusQuery)).counts.running < 1) await delay(100);
      await h.signal(cancelCampaignSignal);
    },
  },
  // One item more than a run starts: the first run continues as new, its last conversation still running.
  'campaign-continue-as-new': {
    spec: {
      name: 'history-continue-as-new',
      seeds: Array.from({ length: ITEMS_PER_RUN + 1 }, (_, i) => `Tell me about the number ${i}`),
      pairs: [{}],
      maxTurns: 1,
      concurrency: 20,
    },
  },
};
type CampaignHandle = Awaited<ReturnType<Client['workflow']['start']>>;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = (name: string) => wanted.length === 0 || wanted.includes(name);
  const stack = await startBenchStack({ latencyMs: 0 });
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  mkdirSync(OUT, { recursive: true });
  try {
    for (const [name, scenario] of Object.entries(CAMPAIGN_SCENARIOS)) {
      if (!chosen(name)) continue;
      const workflowId = `campaign-history-${name}`;
      const handle = await client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
        taskQueue: 'llm-conversations',
        workflowId,
        args: [scenario.spec],
      });
      await scenario.during?.(handle);
      const result = (await handle.result()) as Awaited<ReturnType<typeof campaignWorkflow>>;
      const history = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
      writeFileSync(path.join(OUT, `${name}.json`), historyToJSON(history));
      console.log(
        `${name}: ${result.status}, ${result.counts.completed} items, ${history.events?.length} events`,
      );
    }
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (!chosen(name)) continue;
      const workflowId = `conversation-history-${name}`;
      const handle = await client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
        taskQueue: 'llm-conversations',
        workflowId,
        args: [{ ...scenario.input, conversationId: workflowId }],
      });
      await scenario.during?.(handle);
      const ended = scenario.fails
        ? await handle.result().then(
            () => 'completed where it should have failed',
            (err: unknown) => `failed: ${String(err)}`,
          )
        : await handle.result().then((result) => `${result.endReason}, ${result.completedTurns} turns`);
      // The first run: for continue-as-new that is the one that carried its state on.
      const history = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
      writeFileSync(path.join(OUT, `${name}.json`), historyToJSON(history));
      console.log(`${name}: ${ended}, ${history.events?.length} events`);
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
