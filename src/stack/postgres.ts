/**
 * PostgreSQL for TEMPORAL_BACKEND=postgres: a cluster of its own in the stack's data folder (`postgres/data`), on
 * POSTGRES_PORT of 127.0.0.1 with its socket in `postgres/run`, created by `initdb` on first start. PostgreSQL
 * refuses to run as root, so when we are root it runs as the `postgres` user that Debian's package creates.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../shared/config';
import { toolsBin } from './paths';
import type { ComponentSpec, RunAs } from './supervisor';

const run = promisify(execFile);

/** The role the Temporal server and its SQL tool connect as; local connections are trusted (loopback only). */
export const POSTGRES_USER = 'temporal';

export function postgresDirs(dataDir: string) {
  const root = path.join(dataDir, 'postgres');
  return { root, data: path.join(root, 'data'), socket: path.join(root, 'run') };
}

async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  } catch {
    throw new Error(
      'PostgreSQL cannot run as root and there is no postgres user: run `TEMPORAL_BACKEND=postgres npm run setup`',
    );
  }
}

/** Creates the cluster on first start: the folders, owned by the user PostgreSQL runs as, then `initdb`. */
async function initCluster(dataDir: string, user: RunAs | undefined): Promise<void> {
  const dirs = postgresDirs(dataDir);
  for (const dir of [dirs.root, dirs.socket]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (user) chownSync(dir, user.uid, user.gid);
  }
  if (existsSync(path.join(dirs.data, 'PG_VERSION'))) return;
  try {
    await run(
      path.join(toolsBin, 'initdb'),
      ['-D', dirs.data, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--no-instructions'],
      { ...user, cwd: dirs.root },
    );
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(
      `initdb ${dirs.data} failed${user ? ' (as the postgres user, who must be able to reach that folder)' : ''}: ${stderr ?? String(err)}`,
    );
  }
}

async function accepting(config: Config): Promise<boolean> {
  try {
    await run(path.join(toolsBin, 'pg_isready'), [
      '-q',
      '-h',
      '127.0.0.1',
      '-p',
      String(config.POSTGRES_PORT),
    ]);
    return true;
  } catch {
    return false;
  }
}

export function postgresSpec(config: Config, dataDir: string): ComponentSpec {
  const dirs = postgresDirs(dataDir);
  let user: RunAs | undefined;
  return {
    name: 'postgres',
    command: path.join(toolsBin, 'postgres'),
    args: [
      '-D',
      dirs.data,
      '-p',
      String(config.POSTGRES_PORT),
      '-k',
      dirs.socket,
      '-c',
      'listen_addresses=127.0.0.1',
    ],
    prepare: async () => {
      user = await postgresUser();
      await initCluster(dataDir, user);
    },
    runAs: () => user,
    ready: () => accepting(config),
    readyTimeoutMs: 60_000,
    // Fast shutdown: SIGTERM would wait for every client (the Temporal server) to disconnect first.
    stopSignal: 'SIGINT',
  };
}
