/**
 * Overhead: one 10-turn conversation with 200 ms per model call through the full durable path, vs. the plain loop
 * calling the same fakes, alternating within each run so both see the same machine state.
 */
import path from 'node:path';
import { converseViaApi } from './api-client';
import { createPlainLoop } from './conversation-loop';
import { startBenchStack } from './full-stack';
import { summarize, type Summary } from './stats';

const TURNS = 10;
const LATENCY_MS = 200;

export async function runOverheadBench(runs = 5): Promise<Record<string, Summary>> {
  const stack = await startBenchStack({ latencyMs: LATENCY_MS });
  try {
    const loop = createPlainLoop({
      llmServiceUrl: `http://127.0.0.1:${stack.env.LLM_SERVICE_PORT}`,
      ollamaHost: stack.env.OLLAMA_HOST!,
      outputDir: path.join(stack.env.OUTPUT_DIR!, 'plain'),
    });
    // Warm-up: the first workflow task loads the workflow bundle into a fresh isolate.
    await converseViaApi(stack, { initialQuery: 'warm up', maxTurns: 1 });
    await loop('warm-up', 'warm up', 1);
    const ratios: number[] = [];
    const perTurn: number[] = [];
    const durableMs: number[] = [];
    const plainMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const durable = await converseViaApi(stack, { initialQuery: `overhead ${i}`, maxTurns: TURNS });
      if (durable.completedTurns !== TURNS) throw new Error(`durable run ended ${durable.endReason}`);
      const t0 = performance.now();
      await loop(`plain-${i}`, `overhead ${i}`, TURNS);
      const plain = performance.now() - t0;
      durableMs.push(durable.wallMs);
      plainMs.push(plain);
      ratios.push(durable.wallMs / plain);
      perTurn.push((durable.wallMs - plain) / TURNS);
    }
    return {
      'overhead.ratio': summarize(ratios),
      'overhead.perTurnOverheadMs': summarize(perTurn),
      'overhead.durableMs': summarize(durableMs),
      'overhead.plainMs': summarize(plainMs),
    };
  } finally {
    await stack.stop();
  }
}
