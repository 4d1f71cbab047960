import path from 'node:path';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../conversation/search-attributes';
import type { Config } from '../shared/config';
import { ollamaModelsDir, repoRoot, toolsBin } from './paths';
import { httpOk, tcpOpen, type ComponentSpec } from './supervisor';
import { workerPolling } from './task-queue';
import { jaegerSpec, otlpEnv } from './jaeger';
import { writeWorkflowBundle } from './workflow-bundle-file';

export type ComponentName = 'temporal' | 'ollama' | 'jaeger' | 'gateway' | 'llm-service' | 'worker' | 'api';

/** Our Node services run as plain node processes with TypeScript loaded by tsx, so signals reach them directly. */
function nodeService(
  name: ComponentName,
  entry: string,
  ready: ComponentSpec['ready'],
  env?: NodeJS.ProcessEnv,
): ComponentSpec {
  return {
    name,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(repoRoot, entry)],
    ready,
    readyTimeoutMs: 60_000,
    ...(env && { env }),
  };
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `http://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

export function temporalAddress(config: Config) {
  return hostPort(config.TEMPORAL_ADDRESS);
}

/** How each component starts; Temporal keeps its SQLite file in `dataDir`. */
export function componentSpecs(config: Config, dataDir: string): Record<ComponentName, ComponentSpec> {
  const temporal = hostPort(config.TEMPORAL_ADDRESS);
  const ui = hostPort(config.TEMPORAL_UI_URL);
  const ollama = hostPort(config.OLLAMA_HOST);
  const local = (port: number, route: string) => `http://127.0.0.1:${port}${route}`;
  const workflowBundle = path.join(dataDir, 'workflow-bundle.js');
  // TRACING=jaeger: every service exports its spans to the stack's Jaeger (otherwise OTEL_* pass through as set).
  const tracing = config.TRACING === 'jaeger' ? otlpEnv(config) : undefined;
  return {
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
        // The server hands a just-scheduled activity straight back to the worker that scheduled it.
        '--dynamic-config-value',
        'system.enableActivityEagerExecution=true',
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
      env: { OLLAMA_HOST: `${ollama.host}:${ollama.port}`, OLLAMA_MODELS: ollamaModelsDir },
      ready: () => httpOk(`${config.OLLAMA_HOST}/api/version`),
      readyTimeoutMs: 60_000,
    },
    jaeger: jaegerSpec(config, dataDir),
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
    worker: {
      ...nodeService('worker', 'src/conversation/worker.ts', () => workerPolling(config)),
      // The worker loads a bundle built here, so it never runs webpack itself (about 150 MB less resident).
      prepare: () => writeWorkflowBundle(workflowBundle),
      env: { WORKFLOW_BUNDLE_PATH: workflowBundle, ...tracing },
    },
    api: nodeService(
      'api',
      'src/conversation/api/server.ts',
      () => httpOk(local(config.CONVERSATION_API_PORT, '/ready')),
      tracing,
    ),
  };
}
