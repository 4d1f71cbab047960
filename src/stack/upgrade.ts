/**
 * An upgrade on one machine (docs/production.md, "Upgrading"). `npm start` while a stack runs asks that stack to
 * upgrade (the build to run in `upgrade.json` of its data folder, then SIGHUP); the stack starts the new build's
 * workers beside the running ones, and they make their build the Current Version: new workflows start on it, and the
 * campaigns and the batcher move to it at their next continue-as-new. The previous build's workers keep serving the
 * workflows pinned to it until the server reports its version drained, then stop. A stack started while an earlier
 * build still has workflows pinned to it (stopped mid-campaign, pulled, started again) runs that build's workers
 * from its folder (builds.ts) until it drains, the same way.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../shared/config';
import { currentBuildId } from '../worker/deployment';
import { buildDir } from './builds';
import { componentSpecs, stackChains } from './components';
import { workerPolling } from './task-queue';
import { writeJson, type ComponentSpec, type Supervisor } from './supervisor';

const UPGRADE_REQUEST = 'upgrade.json';
const STACK_STATE = 'stack.json';
const POLL_MS = 1000;

/** The process id of the stack running on `dataDir` (its stack.json), if it is alive. */
export function runningStack(dataDir: string): number | undefined {
  const file = path.join(dataDir, STACK_STATE);
  if (!existsSync(file)) return undefined;
  const pid = stackPid(file);
  if (pid === undefined || pid === process.pid || !alive(pid)) return undefined;
  // A stale file's pid may now be another program's: only a stack's own process is asked.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').includes('start-stack')) return undefined;
  return pid;
}

function stackPid(file: string): number | undefined {
  return (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
}

/** The stack's process runs under npm's process group, not one of its own: probed alone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Asks the stack `pid` (on `dataDir`) to run `buildId`, whose folder is prepared. */
export function requestUpgrade(dataDir: string, pid: number, buildId: string): void {
  writeJson(path.join(dataDir, UPGRADE_REQUEST), { buildId });
  process.kill(pid, 'SIGHUP');
}

export function writeStackState(dataDir: string, supervisor: Supervisor): void {
  writeJson(path.join(dataDir, STACK_STATE), { pid: process.pid, components: supervisor.pids() });
}

/** Removes this process's stack.json (not another stack's, which a start that failed beside it must leave). */
export function removeStackState(dataDir: string): void {
  const file = path.join(dataDir, STACK_STATE);
  if (existsSync(file) && stackPid(file) === process.pid) rmSync(file, { force: true });
}

type VersionSummary = temporal.api.deployment.v1.WorkerDeploymentInfo.IWorkerDeploymentVersionSummary;
const { WorkerDeploymentVersionStatus: Status } = temporal.api.enums.v1;

/** The deployment's versions as the server reports them; none before any worker of it polled. */
async function versions(connection: Connection, config: Config): Promise<VersionSummary[]> {
  const info = await connection.workflowService
    .describeWorkerDeployment({
      namespace: config.TEMPORAL_NAMESPACE,
      deploymentName: config.WORKER_DEPLOYMENT_NAME,
    })
    .catch(() => undefined);
  return info?.workerDeploymentInfo?.versionSummaries ?? [];
}

/** Builds that still have workflows pinned to them: no longer current, not yet drained. */
function draining(summaries: VersionSummary[]): string[] {
  return summaries
    .filter((v) => v.status === Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING)
    .map((v) => v.deploymentVersion?.buildId ?? '')
    .filter(Boolean);
}

/**
 * The stack's workers by build: the current build's run under the usual names (`worker`, `worker-2`…), a draining
 * build's as `worker@<build id>`, until it drains.
 */
export class StackBuilds {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly supervisor: Supervisor,
    private readonly config: Config,
    private readonly dataDir: string,
    private current: string,
    private readonly say: (message: string) => void,
  ) {}

  private workerChains(buildId: string, draining = false): ComponentSpec[][] {
    const chains = stackChains(this.config, componentSpecs(this.config, this.dataDir, buildId), 'worker');
    if (!draining) return chains;
    return chains.map((chain) =>
      chain.map((spec) => ({
        ...spec,
        name: `${spec.name}@${buildId}`,
        ready: () => workerPolling(this.config, buildId),
        env: { ...spec.env, WORKER_SET_CURRENT: 'never' },
      })),
    );
  }

  private async withConnection<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    const connection = await Connection.connect({ address: this.config.TEMPORAL_ADDRESS });
    try {
      return await work(connection);
    } finally {
      await connection.close();
    }
  }

  /** At start: the workers of every earlier build that still has workflows pinned to it, while it drains. */
  async resumeDraining(): Promise<void> {
    const builds = await this.withConnection(async (c) => draining(await versions(c, this.config)));
    for (const buildId of builds.filter((b) => b !== this.current)) {
      if (!existsSync(buildDir(buildId))) {
        this.say(
          `build ${buildId} still has workflows pinned to it, but its folder ${buildDir(buildId)} is gone: they wait for a worker of that build`,
        );
        continue;
      }
      const chains = this.workerChains(buildId, true);
      await this.supervisor.startChains(chains);
      this.say(`build ${buildId} still has workflows pinned to it: its workers run until it drains`);
      void this.drain(
        buildId,
        chains.flat().map((s) => s.name),
      );
    }
  }

  /** Runs `buildId` (its folder prepared): one upgrade at a time, in the order asked. */
  upgrade(buildId: string): Promise<void> {
    this.queue = this.queue.then(() =>
      this.switchTo(buildId).catch((err: unknown) =>
        this.say(`upgrade to build ${buildId} failed: ${err instanceof Error ? err.message : String(err)}`),
      ),
    );
    return this.queue;
  }

  /** The build an upgrade request names, if one was written. */
  requested(): string | undefined {
    const file = path.join(this.dataDir, UPGRADE_REQUEST);
    if (!existsSync(file)) return undefined;
    const { buildId } = JSON.parse(readFileSync(file, 'utf8')) as { buildId?: string };
    rmSync(file, { force: true });
    return buildId;
  }

  private async switchTo(next: string): Promise<void> {
    const previous = this.current;
    if (next === previous) {
      this.say(`already running build ${next}`);
      return;
    }
    this.say(`upgrading: starting the workers of build ${next} beside build ${previous}'s`);
    // The running build's workers step aside under their build's name; the new ones take the usual names.
    const chains = this.workerChains(next);
    const renamed = chains.flat().map((spec) => {
      const name = `${spec.name}@${previous}`;
      this.supervisor.rename(spec.name, name);
      return name;
    });
    try {
      await this.supervisor.startChains(chains);
      await this.withConnection(async (connection) => {
        const deadline = Date.now() + 120_000;
        while (
          (await currentBuildId(
            connection,
            this.config.TEMPORAL_NAMESPACE,
            this.config.WORKER_DEPLOYMENT_NAME,
          )) !== next
        ) {
          if (Date.now() > deadline) throw new Error(`build ${next} did not become the current version`);
          await delay(POLL_MS);
        }
      });
    } catch (err) {
      for (const spec of chains.flat()) await this.supervisor.stop(spec.name);
      renamed.forEach((name, i) => this.supervisor.rename(name, chains.flat()[i]!.name));
      writeStackState(this.dataDir, this.supervisor);
      throw err;
    }
    this.current = next;
    writeStackState(this.dataDir, this.supervisor);
    this.say(`build ${next} is current; build ${previous}'s workers stop once no workflow is pinned to it`);
    void this.drain(previous, renamed);
  }

  /** Waits until the server reports `buildId` drained, then stops its workers. */
  private async drain(buildId: string, workers: string[]): Promise<void> {
    await this.withConnection(async (connection) => {
      for (;;) {
        const summary = (await versions(connection, this.config)).find(
          (v) => v.deploymentVersion?.buildId === buildId,
        );
        const status = summary?.status ?? Status.WORKER_DEPLOYMENT_VERSION_STATUS_UNSPECIFIED;
        if (status === Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED) break;
        if (!workers.some((name) => this.supervisor.pids()[name] !== undefined)) return;
        await delay(POLL_MS);
      }
    });
    for (const name of workers) await this.supervisor.stop(name);
    writeStackState(this.dataDir, this.supervisor);
    this.say(`build ${buildId} drained: its workers stopped`);
  }
}
