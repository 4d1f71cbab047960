/**
 * Features: what each thing our workflow adds to the Temporal floor costs, priced alone on one stack. The floor
 * workflow runs bare, then with one feature added back (heartbeat timeouts, activity summaries, a search
 * attribute upsert every turn, the export; and, as a trial, the local model call as a local activity), then our
 * workflow started with the client and through the API; rotating within each run. Each figure is CPU ms per turn
 * (all processes but the fake models) and turns/s at 50 conversations × 5 turns with 100 ms fakes; `…DeltaMs` is
 * the CPU per turn above the bare floor's in the same run.
 */
import type { FloorFeatures } from './floor/workflow';
import { startBenchStack } from './full-stack';
import { conversationPaths } from './paths';
import { benchRuns, percentile, summarize, type Summary } from './stats';
import { WORKER_TUNING, loadPath } from './throughput';

const CONVERSATIONS = Number(process.env.BENCH_FEATURE_CONVERSATIONS ?? '50');
const TURNS = 5;
const LATENCY_MS = Number(process.env.BENCH_FEATURE_LATENCY_MS ?? '100');

const FLOOR_VARIANTS: Record<string, FloorFeatures> = {
  floor: {},
  heartbeats: { heartbeats: true },
  summaries: { summaries: true },
  upsertEveryTurn: { upsertEveryTurn: true },
  export: { export: true },
  localActivity: { localActivity: true },
};
/** All by default; BENCH_FEATURES=floor,localActivity prices only those (the bare floor is always measured). */
const VARIANTS = [
  'floor',
  ...(process.env.BENCH_FEATURES?.split(',') ?? [...Object.keys(FLOOR_VARIANTS), 'direct', 'ours']),
].filter((v, i, all) => all.indexOf(v) === i);

export async function runFeaturesBench(runs = benchRuns()): Promise<Record<string, Summary>> {
  const stack = await startBenchStack({ latencyMs: LATENCY_MS, env: WORKER_TUNING });
  const figures: Record<string, number[]> = {};
  const add = (key: string, value: number) => (figures[`features.${key}`] ??= []).push(value);
  try {
    const paths = conversationPaths(stack);
    for (const name of ['ours', 'floor'] as const)
      await paths[name](`warm-${name}-${Date.now()}`, 'warm up', 1);
    for (let r = 0; r < runs; r++) {
      const cpu: Record<string, number> = {};
      const tps: Record<string, number> = {};
      const order = [...VARIANTS.slice(r % VARIANTS.length), ...VARIANTS.slice(0, r % VARIANTS.length)];
      for (const variant of order) {
        const tag = `feature-${variant}-${r}-${Date.now()}`;
        const measured =
          variant === 'ours' || variant === 'direct'
            ? await loadPath(stack, variant, CONVERSATIONS, TURNS, (i) =>
                paths[variant](`${tag}-${i}`, tag, TURNS),
              )
            : await loadPath(stack, 'floor', CONVERSATIONS, TURNS, (i) =>
                paths.floor(`${tag}-${i}`, tag, TURNS, FLOOR_VARIANTS[variant]),
              );
        cpu[variant] = measured.cpuMsPerTurn.total!;
        tps[variant] = measured.turnsPerSec;
        add(`${variant}.cpuMsPerTurn`, measured.cpuMsPerTurn.total!);
        add(`${variant}.turnsPerSec`, measured.turnsPerSec);
        for (const [process, ms] of Object.entries(measured.cpuMsPerTurn))
          add(`${variant}.cpuMsPerTurnByProcess.${process}`, ms);
      }
      for (const variant of VARIANTS.slice(1)) {
        add(`${variant}.cpuDeltaMs`, cpu[variant]! - cpu.floor!);
        add(`${variant}.turnsPerSecRatio`, tps[variant]! / tps.floor!);
      }
    }
  } finally {
    await stack.stop();
  }
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, summarize(v)]));
}

/**
 * How long a query waits while the local model call runs, as a regular activity and as a local activity (which
 * holds the workflow task open until it ends or heartbeats): one conversation with `latencyMs` fakes, queried
 * every 100 ms while it runs (BENCH_QUERY_LATENCY_MS, default 3000, about a real local model's call here).
 */
export async function runQueryLatencyBench(): Promise<Record<string, Summary>> {
  const latencyMs = Number(process.env.BENCH_QUERY_LATENCY_MS ?? '3000');
  const stack = await startBenchStack({ latencyMs, env: WORKER_TUNING });
  const out: Record<string, Summary> = {};
  try {
    const paths = conversationPaths(stack);
    await paths.floor(`warm-${Date.now()}`, 'warm up', 1);
    for (const variant of ['floor', 'localActivity']) {
      const id = `query-${variant}-${Date.now()}`;
      const done = paths.floor(id, id, 2, FLOOR_VARIANTS[variant]);
      let finished = false;
      void done.finally(() => (finished = true));
      const handle = stack.client.workflow.getHandle(id);
      const waits: number[] = [];
      while (!finished) {
        const started = performance.now();
        await handle.query('turnsDone').catch(() => undefined);
        waits.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await done;
      out[`features.queryWait.${variant}.p50Ms`] = summarize([percentile(waits, 50)]);
      out[`features.queryWait.${variant}.maxMs`] = summarize([Math.max(...waits)]);
    }
  } finally {
    await stack.stop();
  }
  return out;
}
