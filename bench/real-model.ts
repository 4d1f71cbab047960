/**
 * Real model, gemma3:270m on both sides through the full stack, as `npm start` runs it, with 8-turn conversations
 * whose prompts hold the whole conversation (append-only, see docs/performance.md § Context and the prefix cache):
 * - the orchestration's share of a conversation's wall time (the time not spent in the models);
 * - a campaign of BENCH_REAL_MODEL_ITEMS (96 by default) real conversations and one of 24, each: its generated tokens
 *   per second over the time its model calls took from the first to the last, and the share of prompt tokens
 *   Ollama evaluated (its cache-slot log);
 * - the quality side: `examples/campaign.yaml` with 8 turns, its novelty resamples and questions asked twice;
 * - then, the stack stopped, the very calls the campaigns made (recorded by a proxy in front of Ollama) sent straight
 *   to the same Ollama started with BENCH_REAL_MODEL_SLOTS slots (4 and 8 by default), as many in flight: the
 *   server's best, and how close each campaign came to it;
 * - and the 24-item campaign's calls replayed over two Ollama replicas (half the slots each), routed as the worker
 *   routes an endpoint's replicas: by affinity (each conversation side on one replica) and round-robin, the same
 *   calls in the same run, each on fresh servers.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CAMPAIGN_WORKFLOW_TYPE, campaignWorkflowId, type CampaignManifest } from '../src/contracts/campaign';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import type { campaignWorkflow } from '../src/campaign/workflows/campaign';
import { findRepeat } from '../src/conversation/workflows/novelty';
import { DEFAULT_NOVELTY } from '../src/contracts/conversation';
import { createReplicaSet, type ReplicaRouting } from '../src/models/replicas';
import { loadConfig } from '../src/shared/config';
import { converseViaApi } from './api-client';
import { startBenchStack, type BenchStack } from './full-stack';
import { promptEvalShare, RecordingProxy, replay, startOllamaAlone, type RecordedCall } from './model-server';
import { repoRoot } from '../src/stack/paths';
import { benchRuns, summarize, type Summary } from './stats';

const TURNS = 8;
const SMALL_ITEMS = 24;
const SEEDS = [
  'Why is the sky blue?',
  'How do vaccines train the immune system?',
  'What makes a workflow durable?',
];

function slots(): number[] {
  return (process.env.BENCH_REAL_MODEL_SLOTS ?? '4,8').split(',').map(Number);
}

function campaignSpec(items: number, name: string): CampaignSpec {
  // Items are seeds × local temperatures × repeats.
  return {
    name,
    campaignId: name,
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

/** examples/campaign.yaml with 8 turns: what a user starts, for the quality figures. */
function exampleSpec(name: string): CampaignSpec {
  const spec = parseYaml(
    readFileSync(path.join(repoRoot, 'examples', 'campaign.yaml'), 'utf8'),
  ) as CampaignSpec;
  return { ...spec, name, campaignId: name, maxTurns: TURNS };
}

/** Generated tokens per second over the window from the first call's start to the last one's end. */
function tokensPerSec(calls: readonly RecordedCall[]): number {
  const first = Math.min(...calls.map((c) => c.startedAt));
  const last = Math.max(...calls.map((c) => c.endedAt));
  return calls.reduce((n, c) => n + c.evalCount, 0) / ((last - first) / 1000);
}

interface CampaignRun {
  calls: RecordedCall[];
  tokensPerSec: number;
  promptEvalShare: number;
}

async function runCampaign(
  stack: BenchStack,
  proxy: RecordingProxy,
  ollamaLog: string,
  spec: CampaignSpec,
): Promise<CampaignRun & { campaignId: string }> {
  proxy.calls = [];
  const logBefore = readFileSync(ollamaLog, 'utf8').length;
  const campaignId = spec.campaignId!;
  const result = await stack.client.workflow.execute<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: 'llm-conversations',
    workflowId: campaignWorkflowId(campaignId),
    args: [spec],
  });
  if (result.counts.completed !== result.itemCount) {
    throw new Error(`real-model campaign: ${result.counts.completed} of ${result.itemCount} items completed`);
  }
  const calls = proxy.calls;
  return {
    campaignId,
    calls,
    tokensPerSec: tokensPerSec(calls),
    promptEvalShare: promptEvalShare(readFileSync(ollamaLog, 'utf8').slice(logBefore)).share,
  };
}

/** Per conversation: its novelty resamples, and its questions that repeat an earlier question of it. */
function quality(outputDir: string, campaignId: string): { resamples: number; askedTwice: number } {
  const folder = path.join(outputDir, 'campaigns', campaignId);
  const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;
  const resamples = manifest.items.reduce((n, item) => n + (item.quality?.resamples ?? 0), 0);
  let askedTwice = 0;
  const lines = readFileSync(path.join(folder, 'conversations.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    const { messages } = JSON.parse(line) as { messages: { role: string; content: string }[] };
    const questions = messages.filter((m) => m.role === 'user').map((m) => m.content);
    questions.forEach((q, i) => {
      if (i > 0 && findRepeat(q, questions.slice(0, i), DEFAULT_NOVELTY.threshold)) {
        askedTwice++;
      }
    });
  }
  return { resamples: resamples / lines.length, askedTwice: askedTwice / lines.length };
}

/** The server's best generated tokens per second on these calls, and at how many slots. */
async function serverBest(
  calls: readonly RecordedCall[],
): Promise<{ tokensPerSec: number; parallel: number }> {
  let best = { tokensPerSec: 0, parallel: 0 };
  for (const n of slots()) {
    const ollama = await startOllamaAlone(n);
    try {
      await replay(ollama.url, calls.slice(0, n), n); // loads the model
      const { tokensPerSec: rate } = await replay(ollama.url, calls, n);
      if (rate > best.tokensPerSec) best = { tokensPerSec: rate, parallel: n };
    } finally {
      await ollama.stop();
    }
  }
  return best;
}

/** The routing key the worker would use: the conversation (from the call's request id) and the side. */
function routeKeyOf(call: RecordedCall): string {
  const conversation = call.requestId.split(':')[0] ?? '';
  const prompt = typeof call.body.prompt === 'string' ? call.body.prompt : JSON.stringify(call.body.messages);
  return `${conversation}\u0000${/Answer:\s*$/.test(prompt) ? 'cloud' : 'local'}`;
}

/**
 * The calls replayed over two fresh Ollama replicas of `perReplica` slots each, 2 × perReplica in flight, routed
 * by the worker's replica set: generated tokens per second and the share of prompt tokens the replicas evaluated.
 */
async function overReplicas(
  calls: readonly RecordedCall[],
  routing: ReplicaRouting,
  perReplica: number,
): Promise<{ tokensPerSec: number; promptEvalShare: number }> {
  const replicas = await Promise.all([startOllamaAlone(perReplica), startOllamaAlone(perReplica)]);
  try {
    const logBefore = await Promise.all(
      replicas.map(async (r) => {
        await replay(r.url, calls.slice(0, 1), 1); // loads the model
        return r.log().length;
      }),
    );
    const set = createReplicaSet(
      replicas.map((r) => ({ url: r.url, maxConcurrentCalls: 0, client: r.url })),
      routing,
    );
    let next = 0;
    let generated = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < calls.length) {
        const call = calls[next++]!;
        generated += await set.call(routeKeyOf(call), async (url) => {
          const res = await fetch(`${url}${call.route}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...call.body, stream: false }),
          });
          const reply = (await res.json()) as { eval_count?: number; error?: string };
          if (!res.ok) throw new Error(`replay ${call.route}: ${res.status} ${reply.error ?? ''}`);
          return reply.eval_count ?? 0;
        });
      }
    };
    await Promise.all(Array.from({ length: 2 * perReplica }, lane));
    const wallMs = performance.now() - started;
    const shares = replicas.map((r, i) => promptEvalShare(r.log().slice(logBefore[i])));
    const prompt = shares.reduce((n, s) => n + s.promptTokens, 0);
    const evaluated = shares.reduce((n, s) => n + (s.promptTokens === 0 ? 0 : s.share * s.promptTokens), 0);
    return { tokensPerSec: generated / (wallMs / 1000), promptEvalShare: evaluated / prompt };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

interface RunFigures {
  big: CampaignRun & { best: number; bestParallel: number };
  small: CampaignRun & { best: number };
  quality: { resamples: number; askedTwice: number };
  affinity: { tokensPerSec: number; promptEvalShare: number };
  roundRobin: { tokensPerSec: number; promptEvalShare: number };
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
  const stamp = `${Date.now()}-${run}`;
  let orchestrationShare: number | undefined;
  let big: CampaignRun;
  let small: CampaignRun;
  let exampleQuality: RunFigures['quality'];
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
    small = await runCampaign(
      stack,
      proxy,
      ollamaLog,
      campaignSpec(SMALL_ITEMS, `bench-real-small-${stamp}`),
    );
    big = await runCampaign(stack, proxy, ollamaLog, campaignSpec(items, `bench-real-big-${stamp}`));
    const example = await runCampaign(stack, proxy, ollamaLog, exampleSpec(`bench-real-example-${stamp}`));
    exampleQuality = quality(stack.env.OUTPUT_DIR!, example.campaignId);
  } finally {
    await stack.stop();
    await proxy.stop();
  }
  // The same calls, the stack gone: the server's own best on this machine.
  const bigBest = await serverBest(big.calls);
  const smallBest = await serverBest(small.calls);
  const half = Math.max(1, Math.max(...slots()) / 2);
  return {
    big: { ...big, best: bigBest.tokensPerSec, bestParallel: bigBest.parallel },
    small: { ...small, best: smallBest.tokensPerSec },
    quality: exampleQuality,
    affinity: await overReplicas(small.calls, 'affinity', half),
    roundRobin: await overReplicas(small.calls, 'round-robin', half),
    ...(orchestrationShare === undefined ? {} : { orchestrationShare }),
  };
}

export async function runRealModelBench(
  runs = benchRuns(),
  items = Number(process.env.BENCH_REAL_MODEL_ITEMS ?? '96'),
): Promise<Record<string, Summary>> {
  const figures: RunFigures[] = [];
  for (let run = 0; run < runs; run++) figures.push(await oneRun(run, items));
  const of = (pick: (f: RunFigures) => number | undefined) =>
    summarize(figures.flatMap((f) => (pick(f) === undefined ? [] : [pick(f)!])));
  return {
    'realModel.campaignTokensPerSec': of((f) => f.big.tokensPerSec),
    'realModel.serverBestTokensPerSec': of((f) => f.big.best),
    'realModel.vsServerBest': of((f) => f.big.tokensPerSec / f.big.best),
    'realModel.smallCampaignVsServerBest': of((f) => f.small.tokensPerSec / f.small.best),
    'realModel.bestParallel': of((f) => f.big.bestParallel),
    'realModel.promptEvalShare': of((f) => f.big.promptEvalShare),
    'realModel.affinity.promptEvalShare': of((f) => f.affinity.promptEvalShare),
    'realModel.affinity.tokensPerSec': of((f) => f.affinity.tokensPerSec),
    'realModel.roundRobin.promptEvalShare': of((f) => f.roundRobin.promptEvalShare),
    'realModel.roundRobin.tokensPerSec': of((f) => f.roundRobin.tokensPerSec),
    'realModel.quality.resamplesPerConversation': of((f) => f.quality.resamples),
    'realModel.quality.questionsAskedTwicePerConversation': of((f) => f.quality.askedTwice),
    'realModel.orchestrationShare': of((f) => f.orchestrationShare),
  };
}
