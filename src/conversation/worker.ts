/** Worker entry: runs conversationWorkflow and its activities on the `llm-conversations` task queue. */
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import type { LogLevel, WorkflowBundleOption } from '@temporalio/worker';
import { loadConfig } from '../shared/config';
import type { Config } from '../shared/config';
import { createLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { createActivities } from './activities';
import type { ActivitiesDeps } from './activities';
import { createLlmServiceClient } from './activities/llm-service-client';
import { startConversationMetrics, type ConversationMetrics } from './metrics';
import { workerTracing, type WorkerTracing } from './tracing';
import { workerWorkflowSource } from './workflow-bundle';
import { startTelemetry } from '../shared/telemetry';
import { createOllamaClient } from '../shared/ollama-client';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivitiesDeps;
  /** A prebuilt bundle (tests, benchmarks); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  tuning?: WorkerTuning;
  /** Activity interceptors and the workflow span sink (see tracing.ts); unset, nothing traced. */
  tracing?: WorkerTracing;
}

export interface WorkerTuning {
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
  maxCachedWorkflows: number;
  maxPollers: number;
}

export function workerTuningFromConfig(config: Config): WorkerTuning {
  return {
    maxConcurrentActivities: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTasks: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxPollers: config.WORKER_MAX_POLLERS,
  };
}

export function createWorker({
  connection,
  namespace,
  taskQueue,
  activities,
  workflowBundle,
  tuning,
  tracing,
}: WorkerDeps): Promise<Worker> {
  // Conversations spend nearly all their time waiting on models, so activity slots, not CPU, bound throughput.
  const pollers = tuning && { type: 'autoscaling' as const, maximum: tuning.maxPollers };
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities(activities),
    ...(tuning && {
      maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTasks,
      maxCachedWorkflows: tuning.maxCachedWorkflows,
      workflowTaskPollerBehavior: pollers,
      activityTaskPollerBehavior: pollers,
    }),
    ...(workflowBundle ? { workflowBundle } : workerWorkflowSource),
    ...(tracing && {
      interceptors: { ...(!workflowBundle && workerWorkflowSource.interceptors), activity: tracing.activity },
      sinks: tracing.sinks,
    }),
  });
}

/** The real clients: the LLM REST service and the local Ollama server. */
export function activitiesDepsFromConfig(config: Config, metrics?: ConversationMetrics): ActivitiesDeps {
  return {
    metrics,
    llmService: {
      client: createLlmServiceClient({
        baseUrl: config.LLM_SERVICE_URL,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        apiKey: config.API_KEY,
      }),
      maxTokens: config.CLOUD_MAX_TOKENS,
    },
    ollama: {
      client: createOllamaClient(config.OLLAMA_HOST),
      model: config.OLLAMA_MODEL,
      maxTokens: config.LOCAL_MAX_TOKENS,
    },
    output: { dir: config.OUTPUT_DIR, escapeFormulas: config.CSV_ESCAPE_FORMULAS },
  };
}

const SDK_LEVELS: Record<Config['LOG_LEVEL'], LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Routes the SDK's logs (its own, the Rust core's, and workflow/activity `log` calls) to pino, and
 * serves Temporal's worker metrics. Once per process, before any connection is made.
 */
export function installRuntime(config: Config, logger: Logger): void {
  const level = SDK_LEVELS[config.LOG_LEVEL];
  const pinoLevel = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      logger[pinoLevel[entryLevel]](meta ?? {}, message);
    }),
    telemetryOptions: {
      logging: {
        forward: {},
        filter: makeTelemetryFilterString({ core: level === 'TRACE' ? 'DEBUG' : 'WARN' }),
      },
      ...(config.WORKER_METRICS_ADDRESS
        ? { metrics: { prometheus: { bindAddress: config.WORKER_METRICS_ADDRESS } } }
        : {}),
    },
  });
}

async function main(): Promise<void> {
  const telemetry = await startTelemetry('conversation-worker');
  const config = loadConfig();
  const logger = createLogger('conversation-worker', config.LOG_LEVEL);
  installRuntime(config, logger);
  const metrics = await startConversationMetrics(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      activities: activitiesDepsFromConfig(config, metrics),
      tuning: workerTuningFromConfig(config),
      tracing: await workerTracing(),
      ...(config.WORKFLOW_BUNDLE_PATH && { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } }),
    });
    logger.info(
      {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        namespace: config.TEMPORAL_NAMESPACE,
        address: config.TEMPORAL_ADDRESS,
      },
      'worker started',
    );
    // The Runtime shuts the worker down on SIGINT/SIGTERM; run() resolves once in-flight tasks are done.
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection.close();
    await telemetry?.shutdown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    createLogger('conversation-worker').fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
