/**
 * Throughput: 200 concurrent 5-turn conversations with 500 ms model fakes through our full path, the Temporal
 * floor and the fair plain loop, one after the other within each run; the CPU each process spent per turn, the
 * worker's peak RSS, and the history phases and history profile (history-profile.ts) of a sample of each durable
 * path's conversations.
 * BENCH_CONVERSATIONS (e.g. `20` for a quick check, `50,200,800` for scaling) sets the concurrency levels; the
 * headline keys are those of 200, else of the first level. `ceiling` measures our path with zero-latency fakes.
 */
import { historyPhases, type Phases } from './history-phases';
import { historyProfile } from './history-profile';
import { rssMb, startBenchStack, type BenchStack } from './full-stack';
import { conversationPaths, type Finished } from './paths';
import { benchRuns, summarize, type Summary } from './stats';

const TURNS = 5;
/** Conversations per run whose histories are read for the phases. */
const PHASE_SAMPLE = 20;

/** Worker settings docs/performance.md recommends for this load. */
export const WORKER_TUNING = {
  WORKER_MAX_CONCURRENT_ACTIVITIES: '1000',
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100',
  // The cache (× 1.25) and the workflow heap follow; the throughput part raises it to its largest level.
  WORKER_EXPECTED_CONVERSATIONS: '200',
  WORKER_MAX_POLLERS: '20',
};

/** The processes each path uses; the fake models stand in for the models and are not counted. */
const PROCESSES = {
  ours: ['temporal', 'worker', 'api', 'gateway', 'llm-service'],
  direct: ['temporal', 'worker', 'gateway', 'llm-service'],
  floor: ['temporal', 'floor-worker', 'gateway', 'llm-service'],
  plain: ['bench', 'gateway', 'llm-service'],
  // Ours on either backend with WORKER_COUNT=2 (cluster.ts); the dev server has no postgres or temporal-ui.
  cluster: ['postgres', 'temporal', 'temporal-ui', 'worker', 'worker-2', 'api', 'gateway', 'llm-service'],
} as const;
type Measured = keyof typeof PROCESSES;

function levels(): number[] {
  return (process.env.BENCH_CONVERSATIONS ?? '200').split(',').map(Number);
}

function cpuSeconds(stack: BenchStack): Record<string, number> {
  const { user, system } = process.cpuUsage();
  return { ...stack.cpuSeconds(), bench: (user + system) / 1e6 };
}

interface Load {
  turnsPerSec: number;
  cpuMsPerTurn: Record<string, number>;
  peakRssMb: number;
  workflowIds: string[];
}

/** `concurrency` conversations of `turns` turns at once through one path; what they cost. */
export function loadPath(
  stack: BenchStack,
  path: Measured,
  concurrency: number,
  turns: number,
  run: (i: number) => Promise<Finished>,
): Promise<Load> {
  return load(stack, path, concurrency, run, turns);
}

async function load(
  stack: BenchStack,
  path: Measured,
  concurrency: number,
  run: (i: number) => Promise<Finished>,
  turnsEach = TURNS,
): Promise<Load> {
  let peakRssMb = 0;
  const sampler = setInterval(() => {
    try {
      peakRssMb = Math.max(peakRssMb, rssMb(stack.workerPid()));
    } catch {
      // The worker is gone; the run fails on its own and stop() reports which component died.
    }
  }, 100);
  const before = cpuSeconds(stack);
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: concurrency }, (_, i) => run(i))).finally(() =>
    clearInterval(sampler),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = cpuSeconds(stack);
  const turns = results.reduce((n, r) => n + r.turns, 0);
  if (turns !== concurrency * turnsEach)
    throw new Error(`${path}: ${turns} of ${concurrency * turnsEach} turns completed`);
  const cpuMsPerTurn: Record<string, number> = {};
  for (const name of PROCESSES[path])
    cpuMsPerTurn[name] = (((after[name] ?? 0) - (before[name] ?? 0)) * 1000) / turns;
  cpuMsPerTurn.total = Object.values(cpuMsPerTurn).reduce((a, b) => a + b, 0);
  return {
    turnsPerSec: turns / seconds,
    cpuMsPerTurn,
    peakRssMb,
    workflowIds: results.flatMap((r) => (r.workflowId ? [r.workflowId] : [])),
  };
}

export async function runThroughputBench(runs = benchRuns()): Promise<Record<string, Summary>> {
  const figures: Record<string, number[]> = {};
  const add = (key: string, value: number) => (figures[key] ??= []).push(value);
  const expected = String(Math.max(200, ...levels()));
  const stack = await startBenchStack({
    latencyMs: 500,
    env: { ...WORKER_TUNING, WORKER_EXPECTED_CONVERSATIONS: expected },
  });
  try {
    const paths = conversationPaths(stack);
    for (const name of ['ours', 'floor', 'plain'] as const) await paths[name](`warm-${name}`, 'warm up', 1);
    for (const n of levels()) {
      const prefix = `throughput.c${n}`;
      for (let r = 0; r < runs; r++) {
        const tag = `c${n}r${r}-${Date.now()}`;
        const ours = await load(stack, 'ours', n, (i) =>
          paths.ours(`${tag}-ours-${i}`, `${tag} ${i}`, TURNS),
        );
        const floor = await load(stack, 'floor', n, (i) =>
          paths.floor(`${tag}-floor-${i}`, `${tag} ${i}`, TURNS),
        );
        const plain = await load(stack, 'plain', n, (i) =>
          paths.plain(`${tag}-plain-${i}`, `${tag} ${i}`, TURNS),
        );
        add(`${prefix}.turnsPerSec`, ours.turnsPerSec);
        add(`${prefix}.floorTurnsPerSec`, floor.turnsPerSec);
        add(`${prefix}.plainTurnsPerSec`, plain.turnsPerSec);
        add(`${prefix}.ratio`, ours.turnsPerSec / plain.turnsPerSec);
        add(`${prefix}.vsTemporalFloor`, ours.turnsPerSec / floor.turnsPerSec);
        add(`${prefix}.workerPeakRssMb`, ours.peakRssMb);
        for (const [label, measured] of [
          ['cpuMsPerTurnByProcess', ours],
          ['floorCpuMsPerTurnByProcess', floor],
          ['plainCpuMsPerTurnByProcess', plain],
        ] as const) {
          for (const [name, ms] of Object.entries(measured.cpuMsPerTurn))
            add(`${prefix}.${label}.${name}`, ms);
        }
        add(`${prefix}.cpuMsPerTurn`, ours.cpuMsPerTurn.total!);
        for (const [name, measured] of [
          ['ours', ours],
          ['floor', floor],
        ] as const) {
          const sample = measured.workflowIds.slice(0, PHASE_SAMPLE);
          const phases = await historyPhases(stack.client, sample);
          for (const [phase, ms] of Object.entries(phases) as [keyof Phases, number][])
            add(`${prefix}.phases.${name}.${phase}`, ms);
          const profile = await historyProfile(stack.client, sample, sample.length * TURNS);
          add(`${prefix}.history.${name}.eventsPerTurn`, profile.eventsPerTurn);
          add(`${prefix}.history.${name}.workflowTasksPerTurn`, profile.workflowTasksPerTurn);
          add(`${prefix}.history.${name}.payloadBytesPerTurn`, profile.payloadBytesPerTurn);
        }
      }
    }
  } finally {
    await stack.stop();
  }
  const out: Record<string, Summary> = Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [k, summarize(v)]),
  );
  // The headline keys: those of 200 conversations, else of the first level.
  const main = levels().includes(200) ? 'c200' : `c${levels()[0]}`;
  for (const [key, value] of Object.entries(out)) {
    if (key.startsWith(`throughput.${main}.`)) out[key.replace(`.${main}.`, '.')] = value;
  }
  return out;
}

/** The ceiling: turns/s of our path with zero-latency fakes, which is what the orchestration itself can carry. */
export async function runCeilingBench(runs = benchRuns()): Promise<Record<string, Summary>> {
  const n = levels().includes(200) ? 200 : levels()[0]!;
  const stack = await startBenchStack({ latencyMs: 0, env: WORKER_TUNING });
  try {
    const paths = conversationPaths(stack);
    await paths.ours('warm-ceiling', 'warm up', 1);
    const ceiling: number[] = [];
    for (let r = 0; r < runs; r++) {
      const tag = `ceiling${r}-${Date.now()}`;
      ceiling.push((await load(stack, 'ours', n, (i) => paths.ours(`${tag}-${i}`, tag, TURNS))).turnsPerSec);
    }
    return { 'throughput.ceilingTurnsPerSec': summarize(ceiling) };
  } finally {
    await stack.stop();
  }
}
