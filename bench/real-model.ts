/**
 * Real model, gemma3:270m on both sides through the full stack, as `npm start` runs it:
 * - the orchestration's share of a 3-turn conversation's wall time (the time not spent in the models);
 * - a campaign of real conversations (BENCH_REAL_MODEL_ITEMS, 24 by default: 3 seeds × 2 local temperatures ×
 *   repeats, 3 turns, the default concurrency), its generated tokens per second over the time its model calls
 *   took from the first to the last, and the share of prompt tokens Ollama evaluated (its cache-slot log);
 * - then, the stack stopped, the very calls the campaign made (recorded by a proxy in front of Ollama) sent straight
 *   to the same Ollama started with 1, 2, 4 and 8 slots, as many in flight: the server's best, and how close the
 *   campaign came to it.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { CAMPAIGN_WORKFLOW_TYPE } from '../src/contracts/campaign';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import type { campaignWorkflow } from '../src/campaign/workflows/campaign';
import { loadConfig } from '../src/shared/config';
import { converseViaApi } from './api-client';
import { startBenchStack } from './full-stack';
import { promptEvalShare, RecordingProxy, replay, startOllamaAlone, type RecordedCall } from './model-server';
import { benchRuns, summarize, type Summary } from './stats';

const TURNS = 3;
const SLOTS = [1, 2, 4, 8];
const SEEDS = [
  'Why is the sky blue?',
  'How do vaccines train the immune system?',
  'What makes a workflow durable?',
];

function campaignSpec(items: number, run: number): CampaignSpec {
  // Items are seeds × local temperatures × repeats.
  return {
    name: `real-model bench, run ${run + 1}`,
    seeds: SEEDS,
    pairs: [
      {
        cloud: {
          systemPrompt: 'You are a patient science teacher. Answer in two sentences.',
          maxTokens: 120,
        },
        local: { maxTokens: 48 },
      },
    ],
    grid: { local: { temperature: [0.3, 0.9] } },
    repeats: Math.max(1, Math.ceil(items / (SEEDS.length * 2))),
    maxTurns: TURNS,
  };
}

/** Generated tokens per second over the window from the first call's start to the last one's end. */
function tokensPerSec(calls: readonly RecordedCall[]): number {
  const first = Math.min(...calls.map((c) => c.startedAt));
  const last = Math.max(...calls.map((c) => c.endedAt));
  return calls.reduce((n, c) => n + c.evalCount, 0) / ((last - first) / 1000);
}

interface RunFigures {
  campaignTokensPerSec: number;
  serverBestTokensPerSec: number;
  bestParallel: number;
  promptEvalShare: number;
  orchestrationShare?: number;
}

async function oneRun(run: number, items: number): Promise<RunFigures> {
  const defaults = loadConfig({});
  const proxy = new RecordingProxy();
  const stack = await startBenchStack({
    latencyMs: 0,
    realOllama: true,
    // The stack's own settings (slots, caps, concurrency): what a user running `npm start` gets.
    env: {
      OLLAMA_DEBUG: '1',
      CLOUD_MAX_CONCURRENT_CALLS: String(defaults.CLOUD_MAX_CONCURRENT_CALLS),
      CLOUD_MAX_CALLS_PER_SECOND: String(defaults.CLOUD_MAX_CALLS_PER_SECOND),
      LOCAL_MAX_CONCURRENT_CALLS: String(defaults.LOCAL_MAX_CONCURRENT_CALLS),
    },
    frontOllama: async (ollamaHost) => {
      proxy.forwardTo(ollamaHost);
      return proxy.start();
    },
  });
  const ollamaLog = path.join(stack.env.STACK_DATA_DIR!, 'logs', 'ollama.log');
  let orchestrationShare: number | undefined;
  let campaign: RecordedCall[];
  let logBefore: string;
  try {
    await converseViaApi(stack, { initialQuery: 'warm up', maxTurns: 1 });
    if (run === 0) {
      const conversation = await converseViaApi(stack, {
        initialQuery: 'Tell me about machine learning',
        maxTurns: TURNS,
      });
      const modelMs = conversation.conversation.reduce((n, t) => n + t.cloudLatencyMs + t.localLatencyMs, 0);
      orchestrationShare = (conversation.wallMs - modelMs) / conversation.wallMs;
    }
    proxy.calls = [];
    logBefore = readFileSync(ollamaLog, 'utf8');
    const result = await stack.client.workflow.execute<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
      taskQueue: 'llm-conversations',
      workflowId: `campaign-bench-real-model-${Date.now()}-${run}`,
      args: [campaignSpec(items, run)],
    });
    if (result.counts.completed !== result.itemCount) {
      throw new Error(
        `real-model campaign: ${result.counts.completed} of ${result.itemCount} items completed`,
      );
    }
    campaign = proxy.calls;
  } finally {
    await stack.stop();
    await proxy.stop();
  }
  const cache = promptEvalShare(readFileSync(ollamaLog, 'utf8').slice(logBefore.length));
  // The same calls, the stack gone: the server's own best on this machine.
  let best = { tokensPerSec: 0, parallel: 0 };
  for (const slots of SLOTS) {
    const ollama = await startOllamaAlone(slots);
    try {
      await replay(ollama.url, campaign.slice(0, slots), slots); // loads the model
      const { tokensPerSec: rate } = await replay(ollama.url, campaign, slots);
      if (rate > best.tokensPerSec) best = { tokensPerSec: rate, parallel: slots };
    } finally {
      await ollama.stop();
    }
  }
  return {
    campaignTokensPerSec: tokensPerSec(campaign),
    serverBestTokensPerSec: best.tokensPerSec,
    bestParallel: best.parallel,
    promptEvalShare: cache.share,
    ...(orchestrationShare === undefined ? {} : { orchestrationShare }),
  };
}

export async function runRealModelBench(
  runs = benchRuns(),
  items = Number(process.env.BENCH_REAL_MODEL_ITEMS ?? '24'),
): Promise<Record<string, Summary>> {
  const figures: RunFigures[] = [];
  for (let run = 0; run < runs; run++) figures.push(await oneRun(run, items));
  const of = (pick: (f: RunFigures) => number | undefined) =>
    summarize(figures.flatMap((f) => (pick(f) === undefined ? [] : [pick(f)!])));
  return {
    'realModel.campaignTokensPerSec': of((f) => f.campaignTokensPerSec),
    'realModel.serverBestTokensPerSec': of((f) => f.serverBestTokensPerSec),
    'realModel.vsServerBest': of((f) => f.campaignTokensPerSec / f.serverBestTokensPerSec),
    'realModel.bestParallel': of((f) => f.bestParallel),
    'realModel.promptEvalShare': of((f) => f.promptEvalShare),
    'realModel.orchestrationShare': of((f) => f.orchestrationShare),
  };
}
