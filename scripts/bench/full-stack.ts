/**
 * The full stack for benchmarks, each part a real process started the way `npm start` starts it: Temporal dev
 * server, local API Gateway + Lambda handler, LLM REST service, worker, Conversation API. Only the models are
 * replaced, by a fake Ollama with a fixed latency that serves both sides (the Lambda's Ollama provider for the
 * cloud side, the worker's Ollama client for the local side), unless `realOllama` is set.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { componentSpecs } from '../../src/stack/components';
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
  /** CPU seconds each component has used so far, for attributing where a run's time went. */
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
    // TRACING=jaeger npm run bench: the same stack with every service tracing into a local Jaeger.
    TRACING: process.env.TRACING ?? 'off',
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

  try {
    await supervisor.startAll([
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
      withEnv(specs.temporal),
      ...(config.TRACING === 'jaeger' ? [withEnv(specs.jaeger)] : []),
    ]);
    await supervisor.startAll([specs.gateway, specs['llm-service'], specs.worker, specs.api].map(withEnv));
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
    cpuSeconds: () =>
      Object.fromEntries(Object.entries(supervisor.pids()).map(([name, pid]) => [name, cpuSecondsOf(pid)])),
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

function cpuSecondsOf(pid: number): number {
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 per second).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
