/**
 * The full stack for benchmarks, each part a real process started the way `npm start` starts it: Temporal dev
 * server, local API Gateway + Lambda handler, LLM REST service, worker, Conversation API. Only the models are
 * replaced, by a fake Ollama with a fixed latency that serves both sides (the Lambda's Ollama provider for the
 * cloud side, the worker's Ollama client for the local side), unless `realOllama` is set.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compiledEntry } from '../../src/stack/build';
import { componentSpecs } from '../../src/stack/components';
import { httpOk, Supervisor } from '../../src/stack/supervisor';
import { freePorts } from '../../src/stack/ports';
import { closeTaskQueueProbe, workerPolling } from '../../src/stack/task-queue';
import { loadConfig } from '../../src/shared/config';
import { isolatedStackEnv } from '../../src/stack/isolated-env';

export type Specs = ReturnType<typeof componentSpecs>;

export interface BenchStackOptions {
  latencyMs: number;
  realOllama?: boolean;
  /** Extra environment for every component, e.g. worker tuning. */
  env?: Record<string, string>;
  /** The cloud side (the Lambda's Ollama provider) gets a fake Ollama of its own, so each side's calls are counted apart. */
  separateCloudFake?: boolean;
  /** Rewrites how components start, e.g. to drop a dynamic config value for an A/B (levers.ts). */
  adjust?: (specs: Specs) => Specs;
}

import { FLOOR_TASK_QUEUE } from './floor/task-queue';

export { FLOOR_TASK_QUEUE };

export interface BenchStack {
  env: Record<string, string>;
  apiUrl: string;
  /** The Conversation API's key, when CONVERSATION_API_KEY is set (in the environment or .env). */
  apiKey?: string;
  workerPid: () => number;
  /** The fake Ollama of each side (the same one unless separateCloudFake): its calls and peak in flight. */
  fakeStats: (side: 'cloud' | 'local') => Promise<{ calls: number; inFlight: number; peakInFlight: number }>;
  /** A client of the stack's Temporal server, for the floor and for reading histories. */
  client: Client;
  /** CPU seconds each component has used so far, for attributing where a run's time went. */
  cpuSeconds: () => Record<string, number>;
  stop: () => Promise<void>;
}

export async function startBenchStack({
  latencyMs,
  realOllama = false,
  env = {},
  separateCloudFake = false,
  adjust = (specs) => specs,
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
  const specs = adjust(componentSpecs(config, stackEnv.STACK_DATA_DIR!));
  const failures: string[] = [];
  const supervisor = new Supervisor(path.join(stackEnv.STACK_DATA_DIR!, 'logs'), (e) =>
    failures.push(e.message),
  );
  const withEnv = (spec: (typeof specs)[keyof typeof specs]) => ({
    ...spec,
    env: { ...spec.env, ...stackEnv },
  });
  const fakeOllama = (name: string, port: string) => ({
    name,
    command: process.execPath,
    args: [compiledEntry('test/fixtures/fake-ollama-process.ts')],
    env: { FAKE_LATENCY_MS: String(latencyMs), FAKE_OLLAMA_PORT: port },
    prepare: specs.gateway.prepare,
    ready: () => httpOk(`http://127.0.0.1:${port}/api/version`),
    readyTimeoutMs: 30_000,
  });
  const cloudOllamaHost = separateCloudFake
    ? `http://127.0.0.1:${(await freePorts(1))[0]}`
    : stackEnv.OLLAMA_HOST!;
  const gateway = { ...withEnv(specs.gateway) };
  gateway.env = { ...gateway.env, OLLAMA_HOST: cloudOllamaHost };

  try {
    await supervisor.startAll([
      realOllama ? withEnv(specs.ollama) : fakeOllama('fake-ollama', new URL(stackEnv.OLLAMA_HOST!).port),
      ...(separateCloudFake ? [fakeOllama('fake-cloud-ollama', new URL(cloudOllamaHost).port)] : []),
      withEnv(specs.temporal),
    ]);
    const [metricsPort] = await freePorts(1);
    await supervisor.startAll([
      gateway,
      withEnv(specs['llm-service']),
      withEnv(specs.worker),
      withEnv(specs.api),
      // Like the product worker, with its metrics exporter on a port of its own.
      floorWorker(config, { ...stackEnv, WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` }),
    ]);
  } catch (err) {
    // Whatever did start must not outlive a failed start.
    await supervisor.stopAll();
    await closeTaskQueueProbe();
    throw err;
  }
  await closeTaskQueueProbe();
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  return {
    env: stackEnv,
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    apiUrl: `http://127.0.0.1:${stackEnv.CONVERSATION_API_PORT}`,
    apiKey,
    workerPid: () => supervisor.pids().worker ?? -1,
    fakeStats: async (side) => {
      const res = await fetch(`${side === 'cloud' ? cloudOllamaHost : stackEnv.OLLAMA_HOST}/fake/stats`);
      return (await res.json()) as { calls: number; inFlight: number; peakInFlight: number };
    },
    cpuSeconds: () =>
      Object.fromEntries(Object.entries(supervisor.pids()).map(([name, pid]) => [name, cpuSecondsOf(pid)])),
    stop: async () => {
      await connection.close();
      await supervisor.stopAll();
      if (failures.length > 0) throw new Error(`bench stack component failed: ${failures.join('; ')}`);
    },
  };
}

/**
 * The Temporal floor's worker (floor/worker.ts): the product worker's environment and tuning, its own task queue,
 * and the bench-only workflow bundle, built here so the product's bundle never holds the floor workflow.
 */
function floorWorker(config: ReturnType<typeof loadConfig>, env: Record<string, string>) {
  const bundle = path.join(env.STACK_DATA_DIR!, 'floor-workflow-bundle.js');
  return {
    name: 'floor-worker',
    command: process.execPath,
    args: [compiledEntry('scripts/bench/floor/worker.ts')],
    env: { ...env, BENCH_FLOOR_BUNDLE: bundle },
    prepare: async () => {
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve('./floor/workflow'),
        logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
      });
      writeFileSync(bundle, code);
    },
    ready: () => workerPolling({ ...config, TEMPORAL_TASK_QUEUE: FLOOR_TASK_QUEUE }),
    readyTimeoutMs: 60_000,
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
