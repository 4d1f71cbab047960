/**
 * TEMPORAL_BACKEND=postgres: a real Temporal server (all services in one process, built from go.temporal.io/server
 * by scripts/setup-postgres-backend.sh) on the stack's PostgreSQL, and Temporal's UI server in front of it. Their
 * config files are scripts/temporal/{server,ui}/postgres.yaml, filled in from the STACK_* values set here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../shared/config';
import { repoRoot, toolsBin } from './paths';
import { hostPort } from './ports';
import { POSTGRES_USER } from './postgres';
import { httpOk, tcpOpen, type ComponentSpec } from './supervisor';
import { ensureNamespace } from './temporal-namespace';

const run = promisify(execFile);

/** The server's inner ports, consecutive from TEMPORAL_INTERNAL_PORT_BASE, in this order. */
const INTERNAL_PORTS = [
  'HISTORY',
  'MATCHING',
  'WORKER',
  'FRONTEND_MEMBERSHIP',
  'HISTORY_MEMBERSHIP',
  'MATCHING_MEMBERSHIP',
  'WORKER_MEMBERSHIP',
  'METRICS',
] as const;
export const INTERNAL_PORT_COUNT = INTERNAL_PORTS.length;
/** The server stores membership ports in a PostgreSQL smallint: they must stay below 2^15. */
export const MEMBERSHIP_PORT_LIMIT = 32_768;

/** The server's log level for ours; its info level logs every shard and membership change, so info is warn. */
const SERVER_LOG_LEVELS: Record<Config['LOG_LEVEL'], string> = {
  trace: 'debug',
  debug: 'debug',
  info: 'warn',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  silent: 'fatal',
};

/** Creates both databases and brings their schemas to the SQL tool's version; every step is a no-op when done. */
async function setUpSchemas(config: Config): Promise<void> {
  const tool = path.join(toolsBin, 'temporal-sql-tool');
  const connect = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(config.POSTGRES_PORT)];
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    const args = [...connect, '-u', POSTGRES_USER, '--db', database];
    for (const step of [
      ['create-database'],
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '-s', schema],
    ]) {
      try {
        await run(tool, [...args, ...step]);
      } catch (err) {
        const { stderr, stdout } = err as { stderr?: string; stdout?: string };
        throw new Error(
          `temporal-sql-tool ${step[0]} ${database} failed: ${stderr || stdout || String(err)}`,
        );
      }
    }
  }
}

export function temporalServerSpec(config: Config): ComponentSpec {
  const frontend = hostPort(config.TEMPORAL_ADDRESS);
  const internal = Object.fromEntries(
    INTERNAL_PORTS.map((name, i) => [
      `STACK_TEMPORAL_${name}_PORT`,
      String(config.TEMPORAL_INTERNAL_PORT_BASE + i),
    ]),
  );
  return {
    name: 'temporal',
    command: path.join(toolsBin, 'temporal-server'),
    args: [
      '--root',
      repoRoot,
      '--config',
      'scripts/temporal/server',
      '--env',
      'postgres',
      '--allow-no-auth',
      'start',
    ],
    env: {
      ...internal,
      STACK_TEMPORAL_FRONTEND_HOST: frontend.host,
      STACK_TEMPORAL_FRONTEND_PORT: String(frontend.port),
      STACK_POSTGRES_PORT: String(config.POSTGRES_PORT),
      STACK_TEMPORAL_LOG_LEVEL: SERVER_LOG_LEVELS[config.LOG_LEVEL],
    },
    prepare: () => setUpSchemas(config),
    // Serving means our namespace and search attributes exist: registered here on a fresh database.
    ready: async () =>
      (await tcpOpen(frontend.host, frontend.port)) &&
      ensureNamespace(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE),
    readyTimeoutMs: 120_000,
  };
}

export function temporalUiSpec(config: Config): ComponentSpec {
  const ui = hostPort(config.TEMPORAL_UI_URL);
  return {
    name: 'temporal-ui',
    command: path.join(toolsBin, 'temporal-ui-server'),
    args: ['--root', repoRoot, '--config', 'scripts/temporal/ui', '--env', 'postgres', 'start'],
    env: {
      STACK_TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      STACK_TEMPORAL_UI_HOST: ui.host,
      STACK_TEMPORAL_UI_PORT: String(ui.port),
      STACK_TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    },
    ready: () => httpOk(config.TEMPORAL_UI_URL),
    readyTimeoutMs: 60_000,
  };
}
