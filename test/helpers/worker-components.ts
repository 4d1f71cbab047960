/**
 * The e2e files' shared set-up: the fake model servers, Temporal and the worker(s) as the stack runs them
 * (TestComponents), a client, and the teardown; every test ends with no component failed.
 */
import { Client, Connection } from '@temporalio/client';
import type { ComponentName } from '../../src/stack/components';
import { FakeLlmService } from '../fixtures/llm-service-server';
import { FakeOllama } from '../fixtures/ollama-server';
import type { FakeOllamaOptions } from '../fixtures/ollama-server';
import { TestComponents } from './components';

export interface WorkerComponentsOptions {
  /** The fake LLM REST service's latency per call. */
  llmLatencyMs: number;
  ollama: FakeOllamaOptions;
  /** More environment for every component (caps, prices, backend…). */
  env?: Record<string, string>;
  /** What to start, in order, as `[component, label?]`; by default Temporal, then one worker. */
  start?: readonly (readonly [ComponentName, string?])[];
  /** Runs once everything is up (e.g. waiting for a second worker), still inside beforeAll. */
  ready?: (stack: WorkerComponents) => Promise<void>;
  timeoutMs?: number;
}

export interface WorkerComponents {
  components: TestComponents;
  llm: FakeLlmService;
  ollama: FakeOllama;
  connection: Connection;
  client: Client;
  /** OUTPUT_DIR of the components. */
  outputDir: string;
}

/**
 * Registers beforeAll/afterAll/afterEach for the file (or describe block) and returns the stack, whose members are
 * set once beforeAll has run.
 */
export function withWorkerComponents(options: WorkerComponentsOptions): WorkerComponents {
  const stack = {} as WorkerComponents;
  beforeAll(async () => {
    stack.llm = new FakeLlmService(options.llmLatencyMs);
    stack.ollama = new FakeOllama(options.ollama);
    const [llmUrl, ollamaUrl] = await Promise.all([stack.llm.start(), stack.ollama.start()]);
    stack.components = await TestComponents.create({
      LLM_SERVICE_URL: llmUrl,
      OLLAMA_HOST: ollamaUrl,
      ...options.env,
    });
    stack.outputDir = stack.components.env.OUTPUT_DIR!;
    for (const [name, label] of options.start ?? [['temporal'], ['worker']]) {
      await stack.components.start(name, label ?? name);
    }
    stack.connection = await Connection.connect({ address: stack.components.env.TEMPORAL_ADDRESS! });
    stack.client = new Client({ connection: stack.connection });
    await options.ready?.(stack);
  }, options.timeoutMs ?? 240_000);

  afterAll(async () => {
    await stack.connection?.close();
    await stack.components?.stopAll();
    await Promise.all([stack.llm?.stop(), stack.ollama?.stop()]);
  }, 120_000);

  afterEach(() => {
    expect(stack.components.failures.map((f) => f.message)).toEqual([]);
  });
  return stack;
}
