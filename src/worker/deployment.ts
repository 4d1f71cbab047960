/**
 * Worker Deployment Versioning: which build this worker is, and making it the deployment's Current Version, where
 * new workflows start. Every workflow is pinned to the build that started it (the workers' default behavior); the
 * campaign and the batcher move to the Current Version at their continue-as-new (docs/production.md, "Upgrading").
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { BUILD_ID, BUILD_ID_RULE } from '../contracts/deployment';
import { ConfigError } from '../contracts/errors';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';

const PACKAGE_NAME = 'llm-conversation-service';

function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * The build id of the code in `root` (a folder with our package.json): `<version>-<commit>`, and when the worker's
 * code (src/, package.json) differs from the commit, `-dirty-` and a hash of the difference, so two different codes never share an id. Undefined
 * outside a git checkout.
 */
export function sourceBuildId(root: string): string | undefined {
  const version = packageVersion(root);
  let commit: string;
  try {
    commit = git(['rev-parse', '--short=12', 'HEAD'], root).trim();
  } catch {
    return undefined;
  }
  const changed = git(['diff', 'HEAD', '--binary', '--', 'src', 'package.json'], root);
  const untracked = git(['ls-files', '--others', '--exclude-standard', '-z', '--', 'src'], root)
    .split('\0')
    .filter(Boolean)
    .sort();
  if (!changed && untracked.length === 0) return `${version}-${commit}`;
  const hash = createHash('sha256').update(changed);
  for (const file of untracked) hash.update(`\0${file}\0`).update(readFileSync(path.join(root, file)));
  return `${version}-${commit}-dirty-${hash.digest('hex').slice(0, 10)}`;
}

function bundleBuildId(root: string, bundle: string): string {
  const hash = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 12);
  return `${packageVersion(root)}-bundle-${hash}`;
}

/** Our package's folder above `from` (this module's, compiled or not). */
function packageRoot(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    )
      return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * This worker's deployment version: WORKER_BUILD_ID; else the source's (a git checkout); else, where the workflows
 * come prebuilt (an image has no .git), the package version and a hash of the bundle. Validated like the variable.
 */
export function workerDeploymentVersion(config: Config): WorkerDeploymentVersion {
  const root = packageRoot(__dirname);
  const buildId =
    config.WORKER_BUILD_ID ??
    (root && sourceBuildId(root)) ??
    (root && config.WORKFLOW_BUNDLE_PATH && bundleBuildId(root, config.WORKFLOW_BUNDLE_PATH));
  if (!buildId) {
    throw new ConfigError(
      'Invalid configuration: WORKER_BUILD_ID: unset, and neither a git checkout nor WORKFLOW_BUNDLE_PATH to derive it from',
    );
  }
  if (!BUILD_ID.test(buildId) || buildId.length > 255) {
    throw new ConfigError(`Invalid configuration: the build id ${JSON.stringify(buildId)}: ${BUILD_ID_RULE}`);
  }
  return { deploymentName: config.WORKER_DEPLOYMENT_NAME, buildId };
}

/** The deployment's Current Version's build id; undefined when it has none (or does not exist yet). */
export async function currentBuildId(
  connection: Pick<NativeConnection, 'workflowService'>,
  namespace: string,
  deploymentName: string,
): Promise<string | undefined> {
  try {
    const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
      namespace,
      deploymentName,
    });
    return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === status.NOT_FOUND) return undefined;
    throw err;
  }
}

/**
 * Makes `version` the Current Version as WORKER_SET_CURRENT says, once this worker polls: the server refuses a
 * version until it has seen its pollers on every task queue the current one had, so it is asked again until then.
 */
export async function makeCurrent(
  connection: Pick<NativeConnection, 'workflowService'>,
  config: Config,
  version: WorkerDeploymentVersion,
  logger: Logger,
  signal: AbortSignal,
  timeoutMs = 120_000,
): Promise<void> {
  if (config.WORKER_SET_CURRENT === 'never') return;
  const namespace = config.TEMPORAL_NAMESPACE;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await currentBuildId(connection, namespace, version.deploymentName).catch(
      () => undefined,
    );
    if (current === version.buildId) return;
    if (current && config.WORKER_SET_CURRENT === 'if-unset') {
      logger.info(
        { buildId: version.buildId, currentBuildId: current },
        'the deployment has a current version: this build serves only what is pinned or routed to it',
      );
      return;
    }
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: `worker ${process.pid}`,
      });
      logger.info({ ...version, previousBuildId: current }, 'this build is now the current version');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      logger.debug({ err }, 'the current version is not settable yet');
      await delay(500, undefined, { signal });
    }
  }
}
