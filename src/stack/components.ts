import path from 'node:path';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../conversation/search-attributes';
import type { Config } from '../shared/config';
import { buildServices, compiledEntry } from './build';
import { ollamaModelsDir, toolsBin } from './paths';
import { hostPort } from './ports';
import { postgresSpec } from './postgres';
import { httpOk, tcpOpen, type ComponentSpec } from './supervisor';
import { workerCurrent } from './task-queue';
import { workerNodeArgs } from '../worker/memory';
import { jaegerSpec, otlpEnv } from './jaeger';
import { bedrockBatchStandInReady, localBatchEnv, localS3Spec } from './bedrock-batch';
import { temporalServerSpec, temporalUiSpec } from './temporal-server';
import { BUILD_BUNDLE, BUILD_WORKER_ENTRY, buildDir, prepareBuild, stackBuildId } from './builds';

/**
 * What `npm start` and `npm run start:temporal` name: `temporal` is TEMPORAL_BACKEND's processes; `jaeger` runs
 * with TRACING=jaeger.
 */
export type StackComponent =
  'temporal' | 'ollama' | 'jaeger' | 'bedrock-batch' | 'gateway' | 'llm-service' | 'worker' | 'api';
/**
 * Every process a stack can run; `temporal` is the dev server or, on PostgreSQL, the Temporal server; `s3` is
 * moto's S3 server of BEDROCK_BATCH=local.
 */
export type ComponentName = StackComponent | 'postgres' | 'temporal-ui' | 's3';

/**
 * Our Node services run compiled (dist/, see scripts/build-services.mjs) as plain node processes, so signals reach
 * them directly and no TypeScript loader runs beside them. Each start first compiles whatever changed.
 */
function nodeService(
  name: ComponentName,
  entry: string,
  ready: ComponentSpec['ready'],
  env?: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): ComponentSpec {
  return {
    name,
    command: process.execPath,
    args: [...nodeArgs, compiledEntry(entry)],
    prepare: buildServices,
    ready,
    readyTimeoutMs: 60_000,
    ...(env && { env }),
  };
}

export function temporalAddress(config: Config) {
  return hostPort(config.TEMPORAL_ADDRESS);
}

/**
 * Dynamic config for the dev server (the PostgreSQL backend's is scripts/temporal/server/dynamicconfig.yaml). Eager
 * activities: the server hands a just-scheduled activity straight back to the worker that scheduled it. Other values
 * were measured and not kept (docs/performance.md, `levers`). Drainage: a build no longer current says whether
 * workflows are still pinned to it every few seconds instead of every 3 minutes, so an upgrade stops the previous
 * build's workers soon after its last workflow ends.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = [
  'system.enableActivityEagerExecution=true',
  'matching.wv.VersionDrainageStatusRefreshInterval="5s"',
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"',
];

/**
 * How each component starts; the dev server keeps its SQLite file in `dataDir`, PostgreSQL its cluster. `temporal`
 * is the backend TEMPORAL_BACKEND names.
 */
export function componentSpecs(
  config: Config,
  dataDir: string,
  buildId = stackBuildId(config),
): Record<ComponentName, ComponentSpec> {
  const temporal = hostPort(config.TEMPORAL_ADDRESS);
  const ui = hostPort(config.TEMPORAL_UI_URL);
  const ollama = hostPort(config.OLLAMA_HOST);
  const local = (port: number, route: string) => `http://127.0.0.1:${port}${route}`;
  // TRACING=jaeger: every service exports its spans to the stack's Jaeger (otherwise OTEL_* pass through as set).
  const tracing = config.TRACING === 'jaeger' ? otlpEnv(config) : undefined;
  // BEDROCK_BATCH=local: the worker's (and the stand-in's) AWS endpoints are the local ones.
  const batch = config.BEDROCK_BATCH === 'local' ? localBatchEnv(config) : undefined;
  // The stand-in needs them even when started alone by name.
  const standInEnv = localBatchEnv(config);
  return {
    postgres: postgresSpec(config, dataDir),
    'temporal-ui': temporalUiSpec(config),
    temporal: {
      name: 'temporal',
      command: path.join(toolsBin, 'temporal'),
      args: [
        'server',
        'start-dev',
        '--ip',
        temporal.host,
        '--port',
        String(temporal.port),
        '--ui-port',
        String(ui.port),
        '--db-filename',
        path.join(dataDir, 'temporal.sqlite'),
        '--namespace',
        config.TEMPORAL_NAMESPACE,
        '--log-level',
        'warn',
        '--ui-disable-news-fetch',
        ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
        // Write-ahead log: far fewer fsyncs per workflow task, still crash-safe for the dev server.
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
        ...DEV_SERVER_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', a]),
      ],
      ready: async () => (await tcpOpen(temporal.host, temporal.port)) && httpOk(config.TEMPORAL_UI_URL),
      readyTimeoutMs: 90_000,
    },
    ollama: {
      name: 'ollama',
      command: path.join(toolsBin, 'ollama'),
      args: ['serve'],
      env: {
        OLLAMA_HOST: `${ollama.host}:${ollama.port}`,
        OLLAMA_MODELS: ollamaModelsDir,
        // Without it Ollama serves one call at a time on CPU; a campaign never waits for a reload.
        OLLAMA_NUM_PARALLEL: String(config.OLLAMA_NUM_PARALLEL),
        OLLAMA_KEEP_ALIVE: config.OLLAMA_KEEP_ALIVE,
        OLLAMA_MULTIUSER_CACHE: config.OLLAMA_MULTIUSER_CACHE,
      },
      ready: () => httpOk(`${config.OLLAMA_HOST}/api/version`),
      readyTimeoutMs: 60_000,
    },
    jaeger: jaegerSpec(config, dataDir),
    s3: localS3Spec(config),
    'bedrock-batch': nodeService(
      'bedrock-batch',
      'src/stack/bedrock-batch-stand-in/server.ts',
      bedrockBatchStandInReady(config),
      standInEnv,
    ),
    gateway: nodeService(
      'gateway',
      'src/gateway/server.ts',
      () => httpOk(local(config.GATEWAY_PORT, '/health')),
      tracing,
    ),
    'llm-service': nodeService(
      'llm-service',
      'src/llm-service/server.ts',
      () => httpOk(local(config.LLM_SERVICE_PORT, '/health')),
      tracing,
    ),
    worker: workerSpec(config, buildId, { ...tracing, ...batch }),
    api: nodeService(
      'api',
      'src/api/server.ts',
      () => httpOk(local(config.CONVERSATION_API_PORT, '/ready')),
      tracing,
    ),
    // TEMPORAL_BACKEND=postgres: Temporal is the server built from go.temporal.io/server, on PostgreSQL.
    ...(config.TEMPORAL_BACKEND === 'postgres' && { temporal: temporalServerSpec(config) }),
  };
}

/**
 * A worker of one build, run from that build's folder (builds.ts) with the bundle built there, so it never runs
 * webpack itself (about 150 MB less resident). It makes its build the Current Version once it polls; it is ready
 * once Temporal sees this build poll its task queues and routes new workflows to it.
 */
export function workerSpec(config: Config, buildId: string, env: NodeJS.ProcessEnv = {}): ComponentSpec {
  const dir = buildDir(buildId);
  return {
    name: 'worker',
    command: process.execPath,
    args: [...workerNodeArgs(config.WORKER_MAIN_HEAP_MB), path.join(dir, BUILD_WORKER_ENTRY)],
    prepare: () => prepareBuild(buildId),
    ready: () => workerCurrent(config, buildId),
    readyTimeoutMs: 60_000,
    env: {
      // glibc's malloc keeps 8 arenas a core for the SDK's native threads and V8's; 2 hold a worker at 200 live
      // conversations about 50 MB lower for no CPU (docs/performance.md, worker memory).
      MALLOC_ARENA_MAX: '2',
      ...env,
      WORKER_BUILD_ID: buildId,
      WORKER_SET_CURRENT: 'always',
      WORKFLOW_BUNDLE_PATH: path.join(dir, BUILD_BUNDLE),
    },
  };
}

/**
 * The processes a stack component stands for, as chains: each chain starts in order, the chains side by side.
 * `temporal` on PostgreSQL is PostgreSQL, then the server, then its UI; `worker` is WORKER_COUNT workers on the
 * same task queues (`worker`, `worker-2`, …; worker n serves metrics on WORKER_METRICS_ADDRESS's and
 * CONVERSATION_METRICS_ADDRESS's ports + n - 1), sharing one workflow bundle.
 */
export function stackChains(
  config: Config,
  specs: Record<ComponentName, ComponentSpec>,
  name: StackComponent,
): ComponentSpec[][] {
  if (name === 'temporal' && config.TEMPORAL_BACKEND === 'postgres')
    return [[specs.postgres, specs.temporal, specs['temporal-ui']]];
  if (name === 'bedrock-batch') return [[specs.s3, specs['bedrock-batch']]];
  if (name !== 'worker') return [[specs[name]]];
  return Array.from({ length: config.WORKER_COUNT }, (_, i) => [
    i === 0 ? specs.worker : extraWorker(config, specs.worker, i + 1),
  ]);
}

function extraWorker(config: Config, worker: ComponentSpec, n: number): ComponentSpec {
  const nth = (address: string) => {
    if (!address) return '';
    const { host, port } = hostPort(address);
    return `${host}:${port + n - 1}`;
  };
  return {
    ...worker,
    name: `worker-${n}`,
    env: {
      ...worker.env,
      WORKER_METRICS_ADDRESS: nth(config.WORKER_METRICS_ADDRESS),
      CONVERSATION_METRICS_ADDRESS: nth(config.CONVERSATION_METRICS_ADDRESS),
    },
  };
}
