/**
 * One folder per worker build, `dist/builds/<build id>/`: the compiled code (src/), package.json and the
 * workflow bundle, as they were when that build started. A worker runs from its build's folder, so after the code
 * changes (a pull, an edit, a rebuild of dist/) a previous build's worker keeps running the code its pinned
 * workflows started on, until they are done (docs/production.md, "Upgrading"). Modules resolve from the repository's
 * node_modules above the folder. Folders are written once (to a temporary name, then renamed) and never changed.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/config';
import { sourceBuildId } from '../worker/deployment';
import { buildServices } from './build';
import { repoRoot } from './paths';
import { writeWorkflowBundle } from './workflow-bundle-file';

export const buildsDir = path.join(repoRoot, 'dist', 'builds');
/** In a build's folder: the workflow bundle, and the worker's entry. */
export const BUILD_BUNDLE = 'workflow-bundle.js';
export const BUILD_WORKER_ENTRY = path.join('src', 'worker', 'worker.js');

export function buildDir(buildId: string): string {
  return path.join(buildsDir, buildId);
}

/** The build `npm start` runs: WORKER_BUILD_ID, else the source's package version and commit. */
export function stackBuildId(config: Config): string {
  const buildId = config.WORKER_BUILD_ID ?? sourceBuildId(repoRoot);
  if (!buildId)
    throw new Error('WORKER_BUILD_ID is unset and this is no git checkout to derive a build id from');
  return buildId;
}

const preparing = new Map<string, Promise<string>>();

/** The build's folder, written from the current source (compiled first) unless it exists; once per process. */
export function prepareBuild(buildId: string): Promise<string> {
  let prepared = preparing.get(buildId);
  if (!prepared) {
    prepared = writeBuild(buildId);
    preparing.set(buildId, prepared);
  }
  return prepared;
}

async function writeBuild(buildId: string): Promise<string> {
  const dir = buildDir(buildId);
  if (existsSync(dir)) return dir;
  await buildServices();
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const dist = path.join(repoRoot, 'dist');
  cpSync(path.join(dist, 'src'), path.join(staging, 'src'), { recursive: true });
  cpSync(path.join(repoRoot, 'package.json'), path.join(staging, 'package.json'));
  await writeWorkflowBundle(path.join(staging, BUILD_BUNDLE));
  try {
    renameSync(staging, dir);
  } catch (err) {
    // Another process wrote the same build first: the same code, so theirs serves.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dir)) throw err;
  }
  return dir;
}
