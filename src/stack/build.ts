import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths';

let building: Promise<void> | undefined;

/**
 * Compiles what changed since the last build into dist/ (scripts/build-services.mjs; a no-op when nothing did).
 * Once per process: the components start in parallel and share one build.
 */
export function buildServices(): Promise<void> {
  building ??= promisify(execFile)(process.execPath, [path.join(repoRoot, 'scripts', 'build-services.mjs')], {
    cwd: repoRoot,
  }).then(() => undefined);
  return building;
}

/** `src/gateway/server.ts` → the absolute path of its compiled `dist/src/gateway/server.js`. */
export function compiledEntry(entry: string): string {
  return path.join(repoRoot, 'dist', entry.replace(/\.ts$/, '.js'));
}
