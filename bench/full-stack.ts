/**
 * The full stack for benchmarks, each part a real process started the way `npm start` starts it: Temporal (the
 * backend TEMPORAL_BACKEND names), local API Gateway + Lambda handler, LLM REST service, WORKER_COUNT workers,
 * Conversation API. Only the models are
 * replaced, by a fake Ollama with a fixed latency that serves both sides (the Lambda's Ollama provider for the
 * cloud side, the worker's Ollama client for the local side), unless `realOllama` is set.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compiledEntry } from '../src/stack/build';
import { componentSpecs, stackChains } from '../src/stack/components';
import { httpOk, Supervisor } from '../src/stack/supervisor';
import { freePorts } from '../src/stack/ports';
import { closeTaskQueueProbe, workerPolling } from '../src/stack/task-queue';
import { loadConfig } from '../src/shared/config';
import { isolatedStackEnv } from '../src/stack/isolated-env';

export type Specs = ReturnType<typeof componentSpecs>;

export interface BenchStackOptions {
  latencyMs: number;
  realOllama?: boolean;
  /** Extra environment for every component, e.g. worker tuning. */
  env?: Record<string, string>;
  /** The cloud side (the Lambda's Ollama provider) gets a fake Ollama of its own, so each side's calls are counted apart. */
  separateCloudFake?: boolean;
  /** Extra environment for the fake Ollama(s), e.g. FAKE_PROFILE (test/fixtures/fake-ollama-process.ts). */
  fakeEnv?: Record<string, string>;
  /** Rewrites how components start, e.g. to drop a dynamic config value for an A/B (levers.ts). */
  adjust?: (specs: Specs) => Specs;
  /**
   * Puts a server in front of the stack's (real) Ollama, e.g. a recording proxy: given Ollama's URL, it answers the
   * URL the worker and the gateway (the Lambda's Ollama provider) call instead.
   */
  frontOllama?: (ollamaHost: string) => Promise<string>;
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
  fakeEnv = {},
  adjust = (specs) => specs,
  frontOllama,
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
    // The floor has no provider caps, and the caps (sane for one real Ollama and a Bedrock quota) would cap the
    // load instead of measuring it; BENCH_PROVIDER_CAPS=on keeps the defaults, which route every model call
    // through a task queue of its own. The campaign part sets caps of its own.
    ...(process.env.BENCH_PROVIDER_CAPS !== 'on' && {
      CLOUD_MAX_CONCURRENT_CALLS: '0',
      CLOUD_MAX_CALLS_PER_SECOND: '0',
      LOCAL_MAX_CONCURRENT_CALLS: '0',
    }),
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
    env: { ...fakeEnv, FAKE_LATENCY_MS: String(latencyMs), FAKE_OLLAMA_PORT: port },
    prepare: specs.gateway.prepare,
    ready: () => httpOk(`http://127.0.0.1:${port}/api/version`),
    readyTimeoutMs: 30_000,
  });
  const clientsOllamaHost = frontOllama ? await frontOllama(stackEnv.OLLAMA_HOST!) : stackEnv.OLLAMA_HOST!;
  const cloudOllamaHost = separateCloudFake
    ? `http://127.0.0.1:${(await freePorts(1))[0]}`
    : clientsOllamaHost;
  const gateway = { ...withEnv(specs.gateway) };
  gateway.env = { ...gateway.env, OLLAMA_HOST: cloudOllamaHost };
  // WORKER_COUNT workers; each keeps the metrics address stackChains gave it.
  const workers = stackChains(config, specs, 'worker').map(([spec]) => {
    const worker = { ...spec!, env: { ...stackEnv, ...spec!.env, OLLAMA_HOST: clientsOllamaHost } };
    return [worker];
  });

  try {
    await supervisor.startChains([
      [realOllama ? withEnv(specs.ollama) : fakeOllama('fake-ollama', new URL(stackEnv.OLLAMA_HOST!).port)],
      ...(separateCloudFake ? [[fakeOllama('fake-cloud-ollama', new URL(cloudOllamaHost).port)]] : []),
      // The dev server, or PostgreSQL → the Temporal server → its UI.
      ...stackChains(config, specs, 'temporal').map((chain) => chain.map(withEnv)),
      ...(config.TRACING === 'jaeger' ? [[withEnv(specs.jaeger)]] : []),
      // BEDROCK_BATCH=local: moto's S3 server, then the Bedrock batch stand-in (the batch part).
      ...(config.BEDROCK_BATCH === 'local'
        ? stackChains(config, specs, 'bedrock-batch').map((chain) => chain.map(withEnv))
        : []),
    ]);
    const [metricsPort] = await freePorts(1);
    await supervisor.startChains([
      [gateway],
      [withEnv(specs['llm-service'])],
      ...workers,
      [withEnv(specs.api)],
      // Like the product worker, with its metrics exporter on a port of its own.
      [floorWorker(config, { ...stackEnv, WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` })],
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
    cpuSeconds: () => {
      const tree = processTreeCpu();
      return Object.fromEntries(Object.entries(supervisor.pids()).map(([name, pid]) => [name, tree(pid)]));
    },
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
    args: [compiledEntry('bench/floor/worker.ts')],
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
