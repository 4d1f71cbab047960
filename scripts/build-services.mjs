#!/usr/bin/env node
/**
 * `npm run build:services`: compiles our TypeScript to plain CommonJS in dist/ (dist/src, dist/lambda, dist/scripts,
 * dist/test/fixtures), file by file, so every service runs as `node dist/…js` with no loader in the process.
 * Type checking is `npm run typecheck`'s job; this only transpiles (esbuild, well under a second for the repo).
 * Incremental: it does nothing when no source is newer than the last build (`--force` rebuilds), so `npm start`
 * and the stack's components run it before every start. Plain JavaScript so that it needs no build itself.
 */
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');
const stamp = path.join(outdir, '.services-built');
const SOURCE_DIRS = ['src', 'lambda', 'scripts', 'bench', 'test/fixtures'];
const INPUTS = ['package.json', 'tsconfig.json'];

function sources(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    const compiled = /\.(ts|js)$/.test(entry.name) && !/\.(d|test)\.ts$/.test(entry.name);
    return compiled ? [file] : [];
  });
}

export async function buildServices({ force = false } = {}) {
  const files = SOURCE_DIRS.flatMap((dir) => sources(path.join(root, dir)));
  const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const newest = Math.max(
    ...[...files, ...INPUTS.map((f) => path.join(root, f))].map((f) => statSync(f).mtimeMs),
  );
  if (!force && newest <= builtAt) return false;
  if (force) rmSync(stamp, { force: true });
  // A source saved while this build runs is newer than the stamp, so the next start compiles it.
  const startedAt = new Date();
  await build({
    entryPoints: files,
    outdir,
    outbase: root,
    bundle: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
  });
  writeFileSync(stamp, `${startedAt.toISOString()}\n`);
  utimesSync(stamp, startedAt, startedAt);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  buildServices({ force: process.argv.includes('--force') })
    .then((built) => {
      if (built) console.error(`[build] dist/ compiled in ${Math.round(performance.now() - started)} ms`);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
