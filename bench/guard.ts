/**
 * `npm run bench -- guard`: a short run (a few minutes) that fails when a turn costs more than the figures recorded
 * in bench/guard-baseline.json allow: history events per turn (ours, and ours over the floor's, from the leanest
 * of the sampled histories of each, which is what the code records whatever the machine's load: the margin is small), CPU per turn of all processes over the floor's, and the worker's peak RSS. Ours (through
 * the API) and the floor take turns carrying the same load (GUARD_CONVERSATIONS × 5 turns, 100 ms fakes), so both
 * see the same machine. `BENCH_GUARD_RECORD=1` writes the figures of the run as the new baseline (on a quiet
 * machine only: CPU and RSS figures from a loaded one would let regressions through); `BENCH_GUARD_RECORD=history`
 * records the history figures only and keeps the recorded CPU and RSS figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/stack/paths';
import { startBenchStack } from './full-stack';
import { leanestProfile, type HistoryProfile } from './history-profile';
import { conversationPaths } from './paths';
import { benchRuns, summarize, type Summary } from './stats';
import { WORKER_TUNING, loadPath } from './throughput';

const CONVERSATIONS = Number(process.env.GUARD_CONVERSATIONS ?? '100');
const TURNS = 5;
const LATENCY_MS = 100;
/** Conversations of each path whose histories are read; the leanest of each gives the history figures. */
const HISTORY_SAMPLE = 10;

export const GUARD_BASELINE_FILE = path.join(repoRoot, 'bench', 'guard-baseline.json');

/** A figure that must not rise above `recorded` by more than `margin` (a fraction of it). */
interface Limit {
  recorded: number | null;
  margin: number;
}

export interface GuardBaseline {
  /** Where and how the figures were measured. */
  recorded: {
    conversations: number;
    turns: number;
    /** When the history figures were recorded (the same on any machine). */
    history: string;
    /** When, on what machine and at what load the CPU and RSS figures were; null until recorded on a quiet one. */
    cpuAndRss: { date: string; machine: string; loadAverage: number } | null;
  };
  /** The history of ours per turn: events, workflow tasks and payload bytes. */
  eventsPerTurn: Limit;
  eventsPerTurnVsFloor: Limit;
  workflowTasksPerTurn: Limit;
  payloadBytesPerTurn: Limit;
  /** Left null until recorded on a quiet machine; a null limit is reported, not checked. */
  cpuPerTurnVsFloor: Limit;
  workerPeakRssMb: Limit;
}

type Figures = Record<keyof Omit<GuardBaseline, 'recorded'>, number>;

function readBaseline(): GuardBaseline {
  return JSON.parse(readFileSync(GUARD_BASELINE_FILE, 'utf8')) as GuardBaseline;
}

/** The figures above their limit, each as a line that says by how much. */
export function overLimits(baseline: GuardBaseline, figures: Figures): string[] {
  const over: string[] = [];
  for (const [key, value] of Object.entries(figures) as [keyof Figures, number][]) {
    const { recorded, margin } = baseline[key];
    if (recorded === null) continue;
    const limit = recorded * (1 + margin);
    if (value > limit)
      over.push(
        `${key} ${value.toFixed(3)} > ${limit.toFixed(3)} (recorded ${recorded}, margin ${margin * 100} %)`,
      );
  }
  return over;
}

function record(baseline: GuardBaseline, figures: Figures, historyOnly: boolean): GuardBaseline {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const date = new Date().toISOString();
  const next: GuardBaseline = {
    ...baseline,
    recorded: {
      conversations: CONVERSATIONS,
      turns: TURNS,
      history: date,
      cpuAndRss: historyOnly
        ? baseline.recorded.cpuAndRss
        : {
            date,
            machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
            loadAverage: round(os.loadavg()[0]!),
          },
    },
  };
  const historyKeys = [
    'eventsPerTurn',
    'eventsPerTurnVsFloor',
    'workflowTasksPerTurn',
    'payloadBytesPerTurn',
  ] as const;
  for (const key of Object.keys(figures) as (keyof Figures)[]) {
    if (historyOnly && !(historyKeys as readonly string[]).includes(key)) continue;
    next[key] = { ...baseline[key], recorded: round(figures[key]) };
  }
  return next;
}

export async function runGuardBench(runs = benchRuns()): Promise<Record<string, Summary>> {
  const baseline = readBaseline();
  const stack = await startBenchStack({ latencyMs: LATENCY_MS, env: WORKER_TUNING });
  const cpuRatios: number[] = [];
  const peaks: number[] = [];
  const sampled: Record<'ours' | 'floor', string[]> = { ours: [], floor: [] };
  try {
    const paths = conversationPaths(stack);
    for (const name of ['ours', 'floor'] as const)
      await paths[name](`warm-${name}-${Date.now()}`, 'warm up', 1);
    for (let r = 0; r < runs; r++) {
      const cpu: Partial<Record<'ours' | 'floor', number>> = {};
      const order = r % 2 === 0 ? (['ours', 'floor'] as const) : (['floor', 'ours'] as const);
      for (const name of order) {
        const tag = `guard-${name}-${r}-${Date.now()}`;
        const load = await loadPath(stack, name, CONVERSATIONS, TURNS, (i) =>
          paths[name](`${tag}-${i}`, tag, TURNS),
        );
        cpu[name] = load.cpuMsPerTurn.total!;
        if (name === 'ours') peaks.push(load.peakRssMb);
        if (r === 0) sampled[name] = load.workflowIds.slice(0, HISTORY_SAMPLE);
      }
      cpuRatios.push(cpu.ours! / cpu.floor!);
    }
    const profiles: Record<'ours' | 'floor', HistoryProfile> = {
      ours: await leanestProfile(stack.client, sampled.ours, TURNS),
      floor: await leanestProfile(stack.client, sampled.floor, TURNS),
    };
    const figures: Figures = {
      eventsPerTurn: profiles.ours.eventsPerTurn,
      eventsPerTurnVsFloor: profiles.ours.eventsPerTurn / profiles.floor.eventsPerTurn,
      workflowTasksPerTurn: profiles.ours.workflowTasksPerTurn,
      payloadBytesPerTurn: profiles.ours.payloadBytesPerTurn,
      cpuPerTurnVsFloor: summarize(cpuRatios).median,
      workerPeakRssMb: summarize(peaks).median,
    };
    const out: Record<string, Summary> = {
      'guard.cpuPerTurnVsFloor': summarize(cpuRatios),
      'guard.workerPeakRssMb': summarize(peaks),
    };
    for (const [name, profile] of Object.entries(profiles)) {
      for (const [key, value] of Object.entries(profile)) {
        if (typeof value === 'number') out[`guard.history.${name}.${key}`] = summarize([value]);
        else
          for (const [type, n] of Object.entries(value as Record<string, number>))
            out[`guard.history.${name}.${key}.${type}`] = summarize([n]);
      }
    }
    out['guard.history.eventsPerTurnVsFloor'] = summarize([figures.eventsPerTurnVsFloor]);

    const recording = process.env.BENCH_GUARD_RECORD;
    if (recording) {
      writeFileSync(
        GUARD_BASELINE_FILE,
        `${JSON.stringify(record(baseline, figures, recording === 'history'), null, 2)}\n`,
      );
      console.error(
        `[bench] guard: figures recorded in ${path.relative(process.cwd(), GUARD_BASELINE_FILE)}`,
      );
      return out;
    }
    const over = overLimits(baseline, figures);
    const unchecked = (Object.keys(figures) as (keyof Figures)[]).filter(
      (k) => baseline[k].recorded === null,
    );
    if (unchecked.length > 0)
      console.error(`[bench] guard: no recorded figure yet for ${unchecked.join(', ')}`);
    if (over.length > 0) throw new GuardFailure(over, out);
    return out;
  } finally {
    await stack.stop();
  }
}

/** The guard's verdict when a figure rose above its limit; carries the figures so they can still be printed. */
export class GuardFailure extends Error {
  override readonly name = 'GuardFailure';
  constructor(
    readonly over: string[],
    readonly figures: Record<string, Summary>,
  ) {
    super(`a turn costs more than bench/guard-baseline.json allows:\n  ${over.join('\n  ')}`);
  }
}
