/**
 * The full stack for benchmarks, each part a real process started the way `npm start` starts it: Temporal (the
 * backend TEMPORAL_BACKEND names), local API Gateway + Lambda handler, LLM REST service, WORKER_COUNT workers,
 * Conversation API. Only the models are
 * replaced, by a fake Ollama with a fixed latency that serves both sides (the Lambda's Ollama provider for the
 * cloud side, the worker's Ollama client for the local side), unless `realOllama` is set.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { componentSpecs, stackChains } from '../../src/stack/components';
import { repoRoot } from '../../src/stack/paths';
import { httpOk, Supervisor } from '../../src/stack/supervisor';
import { closeTaskQueueProbe } from '../../src/stack/task-queue';
import { loadConfig } from '../../src/shared/config';
import { isolatedStackEnv } from '../../src/stack/isolated-env';

export interface BenchStackOptions {
  latencyMs: number;
  realOllama?: boolean;
  /** Extra environment for every component, e.g. worker tuning. */
  env?: Record<string, string>;
}

export interface BenchStack {
  env: Record<string, string>;
  apiUrl: string;
  /** The Conversation API's key, when CONVERSATION_API_KEY is set (in the environment or .env). */
  apiKey?: string;
  workerPid: () => number;
  /** CPU seconds each component (with every process it started) has used so far, for attributing a run's time. */
  cpuSeconds: () => Record<string, number>;
  stop: () => Promise<void>;
}

export async function startBenchStack({
  latencyMs,
  realOllama = false,
  env = {},
}: BenchStackOptions): Promise<BenchStack> {
  const stackEnv: Record<string, string> = {
    ...(await isolatedStackEnv('llm-conv-bench-')),
    MODEL_PROVIDER: 'ollama',
    LOG_LEVEL: 'warn',
    // Hundreds of conversations from one client at once are the point here, not abuse.
    CONVERSATION_API_RATE_LIMIT_PER_MINUTE: '0',
    CONVERSATION_MAX_RUNNING: '0',
    ...env,
  };
  const config = loadConfig(stackEnv);
  // The components see this process's environment (and .env) under the stack's own.
  const { CONVERSATION_API_KEY: apiKey } = loadConfig({ ...process.env, ...stackEnv });
  const specs = componentSpecs(config, stackEnv.STACK_DATA_DIR!);
  const failures: string[] = [];
  const supervisor = new Supervisor(path.join(stackEnv.STACK_DATA_DIR!, 'logs'), (e) =>
    failures.push(e.message),
  );
  const withEnv = (spec: (typeof specs)[keyof typeof specs]) => ({
    ...spec,
    env: { ...spec.env, ...stackEnv },
  });

  const chains = (name: 'temporal' | 'worker') => stackChains(config, specs, name).map((c) => c.map(withEnv));
  try {
    await supervisor.startChains([
      ...chains('temporal'),
      [
        realOllama
          ? withEnv(specs.ollama)
          : {
              name: 'fake-ollama',
              command: process.execPath,
              args: ['--import', 'tsx', path.join(repoRoot, 'test/fixtures/fake-ollama-process.ts')],
              env: {
                FAKE_LATENCY_MS: String(latencyMs),
                FAKE_OLLAMA_PORT: new URL(stackEnv.OLLAMA_HOST!).port,
              },
              ready: () => httpOk(`${stackEnv.OLLAMA_HOST}/api/version`),
              readyTimeoutMs: 30_000,
            },
      ],
    ]);
    await supervisor.startChains([
      ...[specs.gateway, specs['llm-service'], specs.api].map((spec) => [withEnv(spec)]),
      ...chains('worker'),
    ]);
  } catch (err) {
    // Whatever did start must not outlive a failed start.
    await supervisor.stopAll();
    await closeTaskQueueProbe();
    throw err;
  }
  await closeTaskQueueProbe();
  return {
    env: stackEnv,
    apiUrl: `http://127.0.0.1:${stackEnv.CONVERSATION_API_PORT}`,
    apiKey,
    workerPid: () => supervisor.pids().worker ?? -1,
    cpuSeconds: () => {
      const tree = processTreeCpu();
      return Object.fromEntries(Object.entries(supervisor.pids()).map(([name, pid]) => [name, tree(pid)]));
    },
    stop: async () => {
      await supervisor.stopAll();
      if (failures.length > 0) throw new Error(`bench stack component failed: ${failures.join('; ')}`);
    },
  };
}

/** Resident set size of a process now, in MB (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? '0');
  return kb / 1024;
}

/**
 * CPU seconds of a process and all its descendants right now, those that exited and were reaped included (their
 * parent's cutime/cstime). PostgreSQL's backends each run in a session of their own, so the process tree finds
 * them where the component's process group does not.
 */
function processTreeCpu(): (root: number) => number {
  const own = new Map<number, number>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name: ppid is the 2nd; utime, stime, cutime, cstime the 12th to 15th, in clock
    // ticks (100 per second).
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const pid = Number(entry);
    own.set(pid, [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100);
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  return (root) => {
    let total = 0;
    for (const pending = [root]; pending.length > 0;) {
      const pid = pending.pop()!;
      total += own.get(pid) ?? 0;
      pending.push(...(children.get(pid) ?? []));
    }
    return total;
  };
}
