import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist', 'lambda', 'index.js');

/** Bundles the handler and its dependencies into one file for the Lambda Node.js runtime (`index.handler`). */
async function main(): Promise<void> {
  const result = await build({
    entryPoints: [path.join(root, 'lambda', 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // The AWS SDK's ES modules let esbuild drop the commands and code paths we do not use (about a third).
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`built ${path.relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB with source map)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
