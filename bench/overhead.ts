/**
 * Overhead: one 10-turn conversation with 200 ms per model call through our full path (the API), our workflow
 * started with the client (no API hop), the Temporal floor and the fair plain loop, in a rotating order within
 * each run so all see the same machine state; with the history phases of our path and of the floor.
 */
import { historyPhases, type Phases } from './history-phases';
import { startBenchStack } from './full-stack';
import { conversationPaths, type Finished, type PathName } from './paths';
import { benchRuns, summarize, type Summary } from './stats';

const TURNS = 10;
const LATENCY_MS = 200;
const ORDER: PathName[] = ['ours', 'floor', 'plain', 'direct'];

export async function runOverheadBench(runs = benchRuns()): Promise<Record<string, Summary>> {
  const stack = await startBenchStack({ latencyMs: LATENCY_MS });
  try {
    const paths = conversationPaths(stack);
    // Warm-up: the first workflow task loads each bundle into a fresh isolate.
    for (const name of ORDER) await paths[name](`warm-${name}-${Date.now()}`, 'warm up', 1);
    const figures: Record<string, number[]> = {};
    const add = (key: string, value: number) => (figures[key] ??= []).push(value);
    for (let i = 0; i < runs; i++) {
      const wall = {} as Record<PathName, Finished>;
      const order = [...ORDER.slice(i % ORDER.length), ...ORDER.slice(0, i % ORDER.length)];
      for (const name of order) {
        wall[name] = await paths[name](`overhead-${name}-${i}-${Date.now()}`, `overhead ${i}`, TURNS);
        if (wall[name].turns !== TURNS) throw new Error(`${name} did ${wall[name].turns} of ${TURNS} turns`);
      }
      add('overhead.vsTemporalFloor', wall.ours.wallMs / wall.floor.wallMs);
      add('overhead.ratio', wall.ours.wallMs / wall.plain.wallMs);
      add('overhead.floorRatio', wall.floor.wallMs / wall.plain.wallMs);
      add('overhead.perTurnOverheadMs', (wall.ours.wallMs - wall.plain.wallMs) / TURNS);
      add('overhead.perTurnVsFloorMs', (wall.ours.wallMs - wall.floor.wallMs) / TURNS);
      add('overhead.apiHopMs', wall.ours.wallMs - wall.direct.wallMs);
      for (const name of ORDER) add(`overhead.${name}Ms`, wall[name].wallMs);
      for (const name of ['ours', 'floor'] as const) {
        const phases = await historyPhases(stack.client, [wall[name].workflowId!]);
        for (const [phase, ms] of Object.entries(phases) as [keyof Phases, number][])
          add(`overhead.phases.${name}.${phase}`, ms);
      }
    }
    return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, summarize(v)]));
  } finally {
    await stack.stop();
  }
}
