/**
 * Real model: a 3-turn conversation with the real Ollama and gemma3:270m on both sides, through the full stack.
 * The share of wall time not spent in the models is what the orchestration costs a real user.
 */
import { converseViaApi } from './api-client';
import { startBenchStack } from './full-stack';
import { summarize, type Summary } from './stats';

export async function runRealModelBench(runs = 5): Promise<Record<string, Summary>> {
  const stack = await startBenchStack({
    latencyMs: 0,
    realOllama: true,
    env: { CLOUD_MAX_TOKENS: '64', LOCAL_MAX_TOKENS: '32' },
  });
  try {
    await converseViaApi(stack, { initialQuery: 'warm up', maxTurns: 1 });
    const shares: number[] = [];
    const tokensPerSec: number[] = [];
    const turnMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const run = await converseViaApi(stack, {
        initialQuery: 'Tell me about machine learning',
        maxTurns: 3,
      });
      const modelMs = run.conversation.reduce((n, t) => n + t.cloudLatencyMs + t.localLatencyMs, 0);
      const tokens = run.conversation.reduce(
        (n, t) => n + t.cloudUsage.outputTokens + t.localUsage.outputTokens,
        0,
      );
      shares.push((run.wallMs - modelMs) / run.wallMs);
      tokensPerSec.push(tokens / (modelMs / 1000));
      turnMs.push(run.wallMs / run.completedTurns);
    }
    return {
      'realModel.orchestrationShare': summarize(shares),
      'realModel.tokensPerSec': summarize(tokensPerSec),
      'realModel.turnMs': summarize(turnMs),
    };
  } finally {
    await stack.stop();
  }
}
