/**
 * Worker memory: the worker's peak RSS while 200 conversations (BENCH_MEMORY_CONVERSATIONS) live at once, 2 turns (BENCH_MEMORY_TURNS)
 * each with 500 ms fakes, for the worker as `npm start` runs it and for variants of its process settings, one
 * stack after the other (RSS depends little on what else the machine does).
 */
import os from 'node:os';
import { rssMb, startBenchStack, type Specs } from './full-stack';
import { conversationPaths } from './paths';
import { summarize, type Summary } from './stats';
import { WORKER_TUNING, loadPath } from './throughput';

const CONVERSATIONS = Number(process.env.BENCH_MEMORY_CONVERSATIONS ?? '200');
const TURNS = Number(process.env.BENCH_MEMORY_TURNS ?? '2');

function workerWith(nodeFlags: string[], env: Record<string, string> = {}) {
  return (specs: Specs): Specs => ({
    ...specs,
    worker: {
      ...specs.worker,
      // After the stack's own flags (V8 takes a flag's last value), before the entry.
      args: [...specs.worker.args.slice(0, -1), ...nodeFlags, ...specs.worker.args.slice(-1)],
      env: { ...specs.worker.env, ...env },
    },
  });
}

const VARIANTS: Record<string, (specs: Specs) => Specs> = {
  // Sized from WORKER_EXPECTED_CONVERSATIONS (200), as `npm start` runs it.
  asStarted: (specs) => specs,
  // The workflow heap as V8 sizes it by default (a quarter of the machine's memory), as before the sizing.
  unsized: workerWith([], { WORKER_EXPECTED_CONVERSATIONS: '100000' }),
  // glibc's default malloc arenas (8 a core), as before the stack set MALLOC_ARENA_MAX=2.
  mallocArenasGlibc: workerWith([], { MALLOC_ARENA_MAX: String(8 * os.cpus().length) }),
  // The main thread's heap as V8 sizes it by default, as before WORKER_MAIN_HEAP_MB.
  mainHeapUnsized: (specs) => ({
    ...specs,
    worker: { ...specs.worker, args: specs.worker.args.filter((a) => !a.startsWith('--max-old-space-size')) },
  }),
  mainHeap256: workerWith(['--max-old-space-size=256']),
  mainSemiSpace4: workerWith(['--max-semi-space-size=4']),
};

export async function runMemoryBench(): Promise<Record<string, Summary>> {
  const wanted = process.env.BENCH_MEMORY_VARIANTS?.split(',') ?? Object.keys(VARIANTS);
  const out: Record<string, Summary> = {};
  for (const name of wanted) {
    console.error(`[bench] memory ${name}…`);
    const stack = await startBenchStack({
      latencyMs: 500,
      env: WORKER_TUNING,
      adjust: VARIANTS[name],
    });
    try {
      const paths = conversationPaths(stack);
      await paths.ours(`warm-${Date.now()}`, 'warm up', 1);
      const idle = rssMb(stack.workerPid());
      const tag = `memory-${name}-${Date.now()}`;
      const load = await loadPath(stack, 'ours', CONVERSATIONS, TURNS, (i) =>
        paths.ours(`${tag}-${i}`, tag, TURNS),
      );
      out[`memory.${name}.idleRssMb`] = summarize([idle]);
      out[`memory.${name}.workerPeakRssMb`] = summarize([load.peakRssMb]);
      out[`memory.${name}.turnsPerSec`] = summarize([load.turnsPerSec]);
      out[`memory.${name}.workerCpuMsPerTurn`] = summarize([load.cpuMsPerTurn.worker!]);
    } finally {
      await stack.stop();
    }
  }
  return out;
}
