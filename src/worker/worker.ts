/**
 * Worker entry: one process, one connection, three Workers: the main task queue (`llm-conversations`: the
 * workflows, the export, the campaign's plan and dataset activities) and one task queue per model provider
 * (`llm-cloud-calls`, `llm-local-calls`), each capped by Temporal: concurrent calls per process and calls per
 * second across every worker of the queue. An uncapped provider's calls run on the main queue instead, where they
 * start eagerly with no trip through the server's matching.
 */
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import type { LogLevel, WorkerDeploymentOptions, WorkflowBundleOption } from '@temporalio/worker';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import v8 from 'node:v8';
import { loadConfig } from '../shared/config';
import type { Config } from '../shared/config';
import { createLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import { conversationOutcome, withCampaignHeartbeats } from '../campaign/activities';
import type { CampaignActivityImpls } from '../campaign/activities';
import { createCampaignProgressMetrics, withCampaignProgress } from '../campaign/progress-metrics';
import { createActivities } from '../conversation/activities/index';
import type { ActivitiesDeps } from '../conversation/activities/index';
import { startConversationMetrics, type ConversationMetrics } from '../conversation/metrics/index';
import { workerTracing, type WorkerTracing } from '../shared/telemetry/temporal';
import { workerWorkflowSource } from './workflow-bundle';
import { sizeWorkflowHeap, workerMemoryPlan } from './memory';
import { startTelemetry } from '../shared/telemetry/index';
import { activitiesDepsFromConfig, campaignActivitiesFromConfig } from './dependencies';
import { slotsWarning } from './slots';
import { makeCurrent, workerDeploymentVersion } from './deployment';
import { loadLambdaConfig } from '../models/lambda-config';
import { endpointTaskQueue, isCapped, loadModelEndpoints, type ModelEndpoints } from '../models/endpoints';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: WorkerActivitiesDeps;
  /** A prebuilt bundle (tests, benchmarks); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  tuning?: WorkerTuning;
  /** Activity interceptors and the workflow span sink (see tracing.ts); unset, nothing traced. */
  tracing?: WorkerTracing;
  /** The build this worker is, in its Worker Deployment; unset (the time-skipping test server), unversioned. */
  deployment?: WorkerDeploymentVersion;
}

/**
 * Every workflow is pinned to the build that started it: a conversation never meets other code; the campaign and
 * the batcher continue-as-new onto the Current Version (initialVersioningBehavior AUTO_UPGRADE).
 */
function deploymentOptions(version: WorkerDeploymentVersion | undefined): Partial<{
  workerDeploymentOptions: WorkerDeploymentOptions;
}> {
  return version
    ? { workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' } }
    : {};
}

/** The conversation's activity dependencies, and the campaign's activities (tests may leave them out). */
export type WorkerActivitiesDeps = ActivitiesDeps & { campaign?: CampaignActivityImpls };

/** Every activity the main task queue serves: the conversation's and the campaign's. */
function workerActivities({ campaign, ...conversation }: WorkerActivitiesDeps) {
  return {
    ...createActivities(conversation),
    conversationOutcome,
    ...(campaign && withCampaignHeartbeats(campaign)),
  };
}

export interface WorkerTuning {
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
  maxCachedWorkflows: number;
  maxPollers: number;
}

/** One provider's task queue and what Temporal lets through it. */
export interface ProviderQueue {
  taskQueue: string;
  /** 0: no limit. */
  maxConcurrentCalls: number;
  /** 0: no limit. */
  maxCallsPerSecond: number;
}

export function workerTuningFromConfig(config: Config): WorkerTuning {
  return {
    maxConcurrentActivities: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTasks: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: workerMemoryPlan(
      config.WORKER_EXPECTED_CONVERSATIONS,
      config.WORKER_MAX_CACHED_WORKFLOWS,
    ).maxCachedWorkflows,
    maxPollers: config.WORKER_MAX_POLLERS,
  };
}

/** Each side's default provider queue, and the queue of every other endpoint that is capped. */
export interface ProviderQueues {
  cloud: ProviderQueue;
  local: ProviderQueue;
  /** MODEL_ENDPOINTS_FILE's capped endpoints: their calls, of either side, under the endpoint's caps. */
  endpoints?: ProviderQueue[];
}

export function providerQueuesFromConfig(config: Config, endpoints?: ModelEndpoints): ProviderQueues {
  return {
    endpoints: (endpoints?.all ?? [])
      .filter((e) => e !== endpoints?.defaults.cloud && e !== endpoints?.defaults.local && isCapped(e.caps))
      .map((e) => ({
        taskQueue: endpointTaskQueue(e, config),
        maxConcurrentCalls: e.caps.maxConcurrentCalls,
        maxCallsPerSecond: e.caps.maxCallsPerSecond,
      })),
    cloud: {
      taskQueue: config.TEMPORAL_CLOUD_TASK_QUEUE,
      maxConcurrentCalls: config.CLOUD_MAX_CONCURRENT_CALLS,
      maxCallsPerSecond: config.CLOUD_MAX_CALLS_PER_SECOND,
    },
    local: {
      taskQueue: config.TEMPORAL_LOCAL_TASK_QUEUE,
      maxConcurrentCalls: config.LOCAL_MAX_CONCURRENT_CALLS,
      maxCallsPerSecond: config.LOCAL_MAX_CALLS_PER_SECOND,
    },
  };
}

export const STICKY_QUEUE_TIMEOUT = '5 seconds';

/** One Worker for everything on one task queue (tests): model calls run on the workflow's own queue. */
export function createWorker({
  connection,
  namespace,
  taskQueue,
  activities,
  workflowBundle,
  tuning,
  tracing,
  deployment,
}: WorkerDeps): Promise<Worker> {
  // Conversations spend nearly all their time waiting on models, so activity slots, not CPU, bound throughput.
  const pollers = tuning && { type: 'autoscaling' as const, maximum: tuning.maxPollers };
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: workerActivities(activities),
    // A workflow task waits this long on the queue of the worker that has the workflow cached before any worker may
    // take it: after that worker died, each of its workflows pays it once, a campaign's next starts included (the
    // TypeScript SDK's default is 10 s; 5 s is the Go and Java SDKs').
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_TIMEOUT,
    ...deploymentOptions(deployment),
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

/**
 * The main Worker and one Worker per provider queue. The main queue serves askCloud and askLocal for uncapped
 * providers. An uncapped provider's queue is still polled, so calls that runs recorded under caps scheduled there still run.
 */
export async function createWorkers(deps: WorkerDeps & { providers: ProviderQueues }): Promise<Worker[]> {
  const { connection, namespace, providers, tuning, tracing, deployment } = deps;
  const activityDeps: WorkerActivitiesDeps = {
    ...deps.activities,
    taskQueues: {
      ...(isCapped(providers.cloud) && { cloud: providers.cloud.taskQueue }),
      ...(isCapped(providers.local) && { local: providers.local.taskQueue }),
    },
  };
  const { askCloud, askLocal } = createActivities(activityDeps);
  const judgeConversation =
    activityDeps.campaign && withCampaignHeartbeats(activityDeps.campaign).judgeConversation;
  const judge = judgeConversation ? { judgeConversation } : {};
  const provider = (queue: ProviderQueue, calls: object) =>
    Worker.create({
      connection,
      namespace,
      taskQueue: queue.taskQueue,
      activities: calls,
      // The same version as the main queue's: a pinned workflow's model calls go to its own build's workers.
      ...deploymentOptions(deployment),
      ...(queue.maxConcurrentCalls > 0 && { maxConcurrentActivityTaskExecutions: queue.maxConcurrentCalls }),
      ...(queue.maxCallsPerSecond > 0 && { maxTaskQueueActivitiesPerSecond: queue.maxCallsPerSecond }),
      ...(tuning && {
        activityTaskPollerBehavior: { type: 'autoscaling' as const, maximum: tuning.maxPollers },
      }),
      // Activities only: their spans need the activity interceptors; no workflow runs here to use the sinks.
      ...(tracing && { interceptors: { activity: tracing.activity } }),
    });
  return Promise.all([
    createWorker({ ...deps, activities: activityDeps }),
    provider(providers.cloud, { askCloud, ...judge }),
    provider(providers.local, { askLocal, ...judge }),
    ...(providers.endpoints ?? []).map((queue) => provider(queue, { askCloud, askLocal })),
  ]);
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
  const install = (metricsAddress: string) =>
    Runtime.install({
      logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
        logger[pinoLevel[entryLevel]](meta ?? {}, message);
      }),
      telemetryOptions: {
        logging: {
          forward: {},
          filter: makeTelemetryFilterString({ core: level === 'TRACE' ? 'DEBUG' : 'WARN' }),
        },
        ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
      },
    });
  try {
    install(config.WORKER_METRICS_ADDRESS);
  } catch (err) {
    // A second worker on this host (`npm run start:worker` twice) still runs; only its metrics need their own port.
    if (!/address already in use/i.test(err instanceof Error ? err.message : String(err))) throw err;
    logger.warn(
      { address: config.WORKER_METRICS_ADDRESS },
      'WORKER_METRICS_ADDRESS is taken (another worker?): this worker serves no metrics; give it its own address',
    );
    install('');
  }
}

/**
 * Runs the worker process until SIGINT/SIGTERM (the Runtime shuts every Worker down; run() resolves once their
 * in-flight tasks are done).
 */
export async function runWorkerProcess(): Promise<void> {
  const telemetry = await startTelemetry('conversation-worker');
  const config = loadConfig();
  const logger = createLogger('conversation-worker', config.LOG_LEVEL);
  installRuntime(config, logger);
  sizeWorkflowHeap(
    workerMemoryPlan(config.WORKER_EXPECTED_CONVERSATIONS, config.WORKER_MAX_CACHED_WORKFLOWS),
  );
  const endpoints = loadModelEndpoints(config, config.MODEL_ENDPOINTS_FILE);
  const deps = activitiesDepsFromConfig(config, process.env, endpoints);
  const metrics = await serveConversationMetrics(config, deps, logger);
  metrics?.watchReplicas(deps.replicas);
  const progress = metrics && createCampaignProgressMetrics(metrics.registry);
  const campaignActivities = (impls: CampaignActivityImpls) =>
    progress ? withCampaignProgress(impls, progress) : impls;
  const deployment = workerDeploymentVersion(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const providers = providerQueuesFromConfig(config, endpoints);
    const workers = await createWorkers({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      activities: {
        ...deps,
        metrics,
        campaign: campaignActivities(campaignActivitiesFromConfig(config, deps, endpoints)),
      },
      tuning: workerTuningFromConfig(config),
      providers,
      tracing: await workerTracing(),
      deployment,
      ...(config.WORKFLOW_BUNDLE_PATH && { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } }),
    });
    logger.info(
      {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        cloud: providers.cloud,
        local: providers.local,
        endpoints: providers.endpoints,
        namespace: config.TEMPORAL_NAMESPACE,
        address: config.TEMPORAL_ADDRESS,
        deployment,
        setCurrent: config.WORKER_SET_CURRENT,
        mainHeapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20),
      },
      'worker started',
    );
    const slots = slotsWarning(config, loadLambdaConfig(process.env));
    if (slots) logger.warn({ ollamaHost: config.OLLAMA_HOST, slots: config.OLLAMA_NUM_PARALLEL }, slots);
    await runAll(workers, (signal) => makeCurrent(connection, config, deployment, logger, signal));
    logger.info('worker stopped');
  } finally {
    await connection.close();
    await telemetry?.shutdown();
  }
}

/** The worker's model-call and conversation metrics; a second worker on this host goes on without them. */
async function serveConversationMetrics(
  config: Config,
  deps: ActivitiesDeps,
  logger: Logger,
): Promise<ConversationMetrics | undefined> {
  const prices = config.MODEL_PRICES_FILE ? deps.llmService.prices : undefined;
  try {
    return await startConversationMetrics(config.CONVERSATION_METRICS_ADDRESS, prices);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    logger.warn(
      { address: config.CONVERSATION_METRICS_ADDRESS },
      'CONVERSATION_METRICS_ADDRESS is taken (another worker?): this worker counts no model calls; give it its own address',
    );
    return undefined;
  }
}

/**
 * Runs the Workers together: one failing shuts the others down, so the process never half-works; so does `polling`
 * (work that needs them polling, e.g. making this build current) failing. `polling` is aborted once they stop.
 */
async function runAll(workers: Worker[], polling: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const stopAll = (err: unknown) => {
    for (const other of workers) if (other.getState() === 'RUNNING') other.shutdown();
    throw err;
  };
  const stopped = new AbortController();
  const running = Promise.all(workers.map((w) => w.run().catch(stopAll))).finally(() => stopped.abort());
  await Promise.all([
    running,
    polling(stopped.signal).catch((err: unknown) => stopped.signal.aborted || stopAll(err)),
  ]);
}

if (require.main === module) {
  runWorkerProcess().catch((err: unknown) => {
    createLogger('conversation-worker').fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
