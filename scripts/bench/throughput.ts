/**
 * Throughput: many concurrent 5-turn conversations with 500 ms fakes through the full durable path vs. the plain
 * loop at the same concurrency; the worker's peak RSS under that load; and the ceiling, turns/s with zero-latency
 * fakes, which is what the orchestration itself can carry.
 */
import path from 'node:path';
import { converseViaApi } from './api-client';
import { createPlainLoop } from './conversation-loop';
import { rssMb, startBenchStack, type BenchStack } from './full-stack';
import { summarize, type Summary } from './stats';

const TURNS = 5;

/** Worker settings the README recommends for this load; see its Performance section. */
export const WORKER_TUNING = {
  WORKER_MAX_CONCURRENT_ACTIVITIES: '1000',
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100',
  WORKER_MAX_CACHED_WORKFLOWS: '1000',
  WORKER_MAX_POLLERS: '20',
};

/** `concurrency` conversations of 5 turns at once through the API; turns/s, the worker's peak RSS, CPU per turn. */
export async function durableTurnsPerSec(stack: BenchStack, concurrency: number, tag: string) {
  let peakRss = 0;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssMb(stack.workerPid()));
    } catch {
      // The worker is gone; the run fails on its own and stop() reports which component died.
    }
  }, 100);
  const cpuBefore = stack.cpuSeconds();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: concurrency }, (_, i) =>
      converseViaApi(stack, { initialQuery: `${tag} ${i}`, maxTurns: TURNS }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const turns = results.reduce((n, r) => n + r.completedTurns, 0);
  if (turns !== concurrency * TURNS)
    throw new Error(`only ${turns} of ${concurrency * TURNS} turns completed`);
  // Where the machine's two cores went: CPU milliseconds per turn of each process of the stack.
  const cpuMsPerTurn = Object.fromEntries(
    Object.entries(stack.cpuSeconds()).map(([name, s]) => [
      name,
      ((s - (cpuBefore[name] ?? 0)) * 1000) / turns,
    ]),
  );
  return { turnsPerSec: turns / seconds, peakRss, cpuMsPerTurn };
}

async function plainTurnsPerSec(stack: BenchStack, concurrency: number, tag: string): Promise<number> {
  const loop = createPlainLoop({
    llmServiceUrl: `http://127.0.0.1:${stack.env.LLM_SERVICE_PORT}`,
    ollamaHost: stack.env.OLLAMA_HOST!,
    outputDir: path.join(stack.env.OUTPUT_DIR!, 'plain'),
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(`${tag}-${i}`, `${tag} ${i}`, TURNS)));
  return (concurrency * TURNS) / ((performance.now() - started) / 1000);
}

export async function runThroughputBench(
  runs = 5,
  concurrencies = [50, 200, 800],
  // The scaling levels other than 200 take minutes per run on two cores; BENCH_SCALE_RUNS sets how many.
  scaleRuns = Number(process.env.BENCH_SCALE_RUNS ?? '2'),
): Promise<Record<string, Summary>> {
  const out: Record<string, Summary> = {};
  const stack = await startBenchStack({ latencyMs: 500, env: WORKER_TUNING });
  try {
    await converseViaApi(stack, { initialQuery: 'warm up', maxTurns: 1 });
    for (const n of concurrencies) {
      const ratios: number[] = [];
      const durable: number[] = [];
      const plain: number[] = [];
      const rss: number[] = [];
      const cpu: Record<string, number[]> = {};
      for (let i = 0; i < (n === 200 ? runs : scaleRuns); i++) {
        const d = await durableTurnsPerSec(stack, n, `c${n}r${i}`);
        const p = await plainTurnsPerSec(stack, n, `c${n}r${i}`);
        durable.push(d.turnsPerSec);
        plain.push(p);
        rss.push(d.peakRss);
        for (const [name, ms] of Object.entries(d.cpuMsPerTurn)) (cpu[name] ??= []).push(ms);
        ratios.push(d.turnsPerSec / p);
      }
      out[`throughput.c${n}.ratio`] = summarize(ratios);
      out[`throughput.c${n}.turnsPerSec`] = summarize(durable);
      out[`throughput.c${n}.plainTurnsPerSec`] = summarize(plain);
      out[`throughput.c${n}.workerPeakRssMb`] = summarize(rss);
      for (const [name, ms] of Object.entries(cpu))
        out[`throughput.c${n}.cpuMsPerTurn.${name}`] = summarize(ms);
    }
  } finally {
    await stack.stop();
  }
  const main = concurrencies.includes(200) ? 'c200' : `c${concurrencies[0]}`;
  out['throughput.ratio'] = out[`throughput.${main}.ratio`]!;
  out['throughput.turnsPerSec'] = out[`throughput.${main}.turnsPerSec`]!;
  out['throughput.workerPeakRssMb'] = out[`throughput.${main}.workerPeakRssMb`]!;

  const ceilingStack = await startBenchStack({ latencyMs: 0, env: WORKER_TUNING });
  try {
    await converseViaApi(ceilingStack, { initialQuery: 'warm up', maxTurns: 1 });
    const ceiling: number[] = [];
    for (let i = 0; i < runs; i++)
      ceiling.push((await durableTurnsPerSec(ceilingStack, 200, `ceiling${i}`)).turnsPerSec);
    out['throughput.ceilingTurnsPerSec'] = summarize(ceiling);
  } finally {
    await ceilingStack.stop();
  }
  return out;
}
