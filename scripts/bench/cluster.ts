/**
 * The production topology's price: the throughput run (conversations × 5 turns with 500 ms fake models, through
 * the API) on a Temporal server on PostgreSQL with two workers, and the same run on the dev server with the same
 * two workers, one stack after the other. CPU per turn counts every process of the stack — PostgreSQL with all its
 * backends, the Temporal server and its UI, both workers, the HTTP services — but not the fake models.
 * BENCH_CLUSTER_CONVERSATIONS (default 200) and BENCH_CLUSTER_RUNS (default 3) size it.
 */
import { converseViaApi } from './api-client';
import { startBenchStack } from './full-stack';
import { summarize, type Summary } from './stats';
import { durableTurnsPerSec, WORKER_TUNING } from './throughput';

const BACKENDS = { postgres: 'cluster', dev: 'cluster.dev' } as const;
const MODELS = new Set(['fake-ollama', 'ollama']);

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
      await converseViaApi(stack, { initialQuery: 'warm up', maxTurns: 1 });
      const turnsPerSec: number[] = [];
      const cpuMsPerTurn: number[] = [];
      const byProcess: Record<string, number[]> = {};
      for (let i = 0; i < runs; i++) {
        const run = await durableTurnsPerSec(stack, concurrency, `${backend}${i}`);
        const processes = Object.entries(run.cpuMsPerTurn).filter(([name]) => !MODELS.has(name));
        turnsPerSec.push(run.turnsPerSec);
        cpuMsPerTurn.push(processes.reduce((sum, [, ms]) => sum + ms, 0));
        for (const [name, ms] of processes) (byProcess[name] ??= []).push(ms);
      }
      out[`${prefix}.turnsPerSec`] = summarize(turnsPerSec);
      out[`${prefix}.cpuMsPerTurn`] = summarize(cpuMsPerTurn);
      for (const [name, ms] of Object.entries(byProcess))
        out[`${prefix}.cpuMsPerTurnByProcess.${name}`] = summarize(ms);
    } finally {
      await stack.stop();
    }
  }
  return out;
}
