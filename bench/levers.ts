/**
 * Levers: each change meant to cut CPU per turn, measured as an A/B within one run. Two stacks run side by side,
 * A without the change and B with it, and take turns carrying the same load (50 conversations × 5 turns, 100 ms
 * fakes, our full path), so both see the same machine; the figure is B's CPU ms per turn (all processes but the
 * fake models) over A's, below 1 when the change pays. A change to the workflow code is priced by `features`.
 */
import path from 'node:path';
import { repoRoot } from '../src/stack/paths';
import { startBenchStack, type BenchStack, type Specs } from './full-stack';
import { conversationPaths } from './paths';
import { benchRuns, summarize, type Summary } from './stats';
import { WORKER_TUNING, loadPath } from './throughput';

const CONVERSATIONS = Number(process.env.BENCH_LEVER_CONVERSATIONS ?? '50');
const TURNS = 5;

/** The dev server's arguments with `values` added as dynamic config. */
function withDynamicConfig(values: string[]) {
  return (specs: Specs): Specs => ({
    ...specs,
    temporal: {
      ...specs.temporal,
      args: [...specs.temporal.args, ...values.flatMap((v) => ['--dynamic-config-value', v])],
    },
  });
}

/** Our services as they ran before the compiled build: TypeScript loaded by tsx in each process. */
function underTsx(specs: Specs): Specs {
  const out = { ...specs };
  for (const name of ['gateway', 'llm-service', 'worker', 'api'] as const) {
    const compiled = path.relative(path.join(repoRoot, 'dist'), specs[name].args[0]!);
    const source = path.join(repoRoot, compiled.replace(/\.js$/, '.ts'));
    out[name] = { ...specs[name], args: ['--import', 'tsx', source] };
  }
  return out;
}

const asIs = (specs: Specs) => specs;

/**
 * Dynamic config that could lower the dev server's cost per task, measured and not kept (docs/performance.md):
 * search attributes read from the cache (the CLI turns the cache off so that attributes added at run time are seen
 * at once; ours are registered at start), and one partition per task queue instead of four.
 */
const searchAttributesCache = 'system.forceSearchAttributesCacheRefreshOnRead=false';
const onePartition = ['matching.numTaskqueueReadPartitions=1', 'matching.numTaskqueueWritePartitions=1'];

/** Each lever: how stack A (without the change) and stack B (with it) start. */
const LEVERS: Record<string, { a: (specs: Specs) => Specs; b: (specs: Specs) => Specs }> = {
  devServerConfig: { a: asIs, b: withDynamicConfig([searchAttributesCache, ...onePartition]) },
  searchAttributesCache: { a: asIs, b: withDynamicConfig([searchAttributesCache]) },
  oneTaskQueuePartition: { a: asIs, b: withDynamicConfig(onePartition) },
  compiled: { a: underTsx, b: asIs },
};

async function compare(name: string, lever: (typeof LEVERS)[string], runs: number) {
  const env = WORKER_TUNING;
  const [a, b] = await Promise.all([
    startBenchStack({ latencyMs: 100, env, adjust: lever.a }),
    startBenchStack({ latencyMs: 100, env, adjust: lever.b }),
  ]);
  const out: Record<string, number[]> = {};
  const add = (key: string, value: number) => (out[`levers.${name}.${key}`] ??= []).push(value);
  try {
    const stacks: [string, BenchStack][] = [
      ['a', a],
      ['b', b],
    ];
    for (const [, stack] of stacks) await conversationPaths(stack).ours(`warm-${Date.now()}`, 'warm up', 1);
    for (let r = 0; r < runs; r++) {
      const cpu: Record<string, number> = {};
      // Alternate which side goes first.
      for (const [side, stack] of r % 2 ? [...stacks].reverse() : stacks) {
        const paths = conversationPaths(stack);
        const tag = `lever-${name}-${side}-${r}-${Date.now()}`;
        const load = await loadPath(stack, 'ours', CONVERSATIONS, TURNS, (i) =>
          paths.ours(`${tag}-${i}`, tag, TURNS),
        );
        cpu[side] = load.cpuMsPerTurn.total!;
        for (const [process, ms] of Object.entries(load.cpuMsPerTurn))
          add(`${side}.cpuMsPerTurn.${process}`, ms);
        add(`${side}.turnsPerSec`, load.turnsPerSec);
      }
      add('cpuRatio', cpu.b! / cpu.a!);
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  return out;
}

export async function runLeversBench(runs = benchRuns()): Promise<Record<string, Summary>> {
  const wanted = process.env.BENCH_LEVERS?.split(',') ?? Object.keys(LEVERS);
  const figures: Record<string, number[]> = {};
  for (const name of wanted) {
    const lever = LEVERS[name];
    if (!lever) throw new Error(`unknown lever ${name}; known: ${Object.keys(LEVERS).join(', ')}`);
    console.error(`[bench] lever ${name}…`);
    Object.assign(figures, await compare(name, lever, runs));
  }
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, summarize(v)]));
}
