/**
 * The production topology's price: our path (conversations × 5 turns with 500 ms fake models, through the API) on
 * a Temporal server on PostgreSQL with two workers, and the same load on the dev server with the same two workers,
 * one stack after the other. CPU per turn counts every process of the stack with all its children — PostgreSQL with
 * all its backends, the Temporal server and its UI, both workers, the HTTP services — but not the fake models.
 * BENCH_CLUSTER_CONVERSATIONS (default 200) and BENCH_CLUSTER_RUNS (default 3) size it.
 */
import { startBenchStack } from './full-stack';
import { conversationPaths } from './paths';
import { summarize, type Summary } from './stats';
import { loadPath, WORKER_TUNING } from './throughput';

const TURNS = 5;
const BACKENDS = { postgres: 'cluster', dev: 'cluster.dev' } as const;

export async function runClusterBench(
  runs = Number(process.env.BENCH_CLUSTER_RUNS ?? '3'),
  concurrency = Number(process.env.BENCH_CLUSTER_CONVERSATIONS ?? '200'),
): Promise<Record<string, Summary>> {
  const out: Record<string, Summary> = {};
  for (const [backend, prefix] of Object.entries(BACKENDS)) {
    const stack = await startBenchStack({
      latencyMs: 500,
      env: { ...WORKER_TUNING, TEMPORAL_BACKEND: backend, WORKER_COUNT: '2' },
    });
    try {
      const paths = conversationPaths(stack);
      await paths.ours(`warm-${backend}-${Date.now()}`, 'warm up', 1);
      const running = new Set(Object.keys(stack.cpuSeconds()));
      const figures: Record<string, number[]> = {};
      const add = (key: string, value: number) => (figures[key] ??= []).push(value);
      for (let r = 0; r < runs; r++) {
        const tag = `${backend}${r}-${Date.now()}`;
        const run = await loadPath(stack, 'cluster', concurrency, TURNS, (i) =>
          paths.ours(`${tag}-${i}`, `${tag} ${i}`, TURNS),
        );
        add('turnsPerSec', run.turnsPerSec);
        add('cpuMsPerTurn', run.cpuMsPerTurn.total!);
        for (const [name, ms] of Object.entries(run.cpuMsPerTurn))
          if (running.has(name)) add(`cpuMsPerTurnByProcess.${name}`, ms);
      }
      for (const [key, values] of Object.entries(figures)) out[`${prefix}.${key}`] = summarize(values);
    } finally {
      await stack.stop();
    }
  }
  return out;
}
