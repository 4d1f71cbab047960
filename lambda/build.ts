import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/**
 * protobufjs loads long.js, if it is there, for 64-bit integers; our messages have none (and pbjs runs with
 * --force-number), so the bundle gives it an empty module instead, which protobufjs takes for "no long.js".
 */
const withoutLongJs: Plugin = {
  name: 'without-long-js',
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'without-long-js' }));
    b.onLoad({ filter: /.*/, namespace: 'without-long-js' }, () => ({ contents: '', loader: 'js' }));
  },
};

const common = {
  bundle: true,
  platform: 'node' as const,
  target: 'node20',
  format: 'cjs' as const,
  // The AWS SDK's ES modules let esbuild drop the commands and code paths we do not use (about a third).
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  metafile: true as const,
  logLevel: 'warning' as const,
  // Metafile paths are relative to it.
  absWorkingDir: root,
  // `import()` as `require`: a package split out below is then found the way CommonJS finds `<name>.js`.
  supported: { 'dynamic-import': false },
  plugins: [withoutLongJs],
} satisfies BuildOptions;

/** `node_modules/@scope/name/…` or `node_modules/name/…` → the package's folder, else undefined. */
function packageDir(file: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return match?.[1];
}

/**
 * The packages the bundle reaches only through a dynamic `import()` of a package name, each with the file it
 * resolves to: the AWS SDK's credential providers past the first link of its chain (the environment, where Lambda
 * puts the function role's credentials: SSO, ini files, processes, web identity, container and instance metadata)
 * and the STS, SSO and sign-in clients they call, and OpenTelemetry's API (tracing off).
 */
function dynamicOnly(metafile: Metafile): Map<string, string> {
  const dynamic = new Map<string, string>();
  const staticPaths = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const i of input.imports) {
      if (i.external) continue;
      if (i.kind === 'dynamic-import' && !i.original?.startsWith('.')) dynamic.set(i.original!, i.path);
      else staticPaths.add(i.path);
    }
  }
  return new Map([...dynamic].filter(([, file]) => !staticPaths.has(file)));
}

/**
 * Bundles the handler and its dependencies into dist/lambda/index.js for the Lambda Node.js runtime
 * (`index.handler`), and each package it reaches only through a dynamic import into a bundle of its own beside it
 * (dist/lambda/node_modules/<package>.js, where `require` finds it). A cold start then reads and compiles none of
 * them (about a fifth of the code), while a function configured to need one still loads it. A package that turns
 * out to be in the main bundle as well is kept only there, so no module has two copies there.
 */
export async function buildLambda(outdir = path.join(root, 'dist', 'lambda')): Promise<{ bytes: number }> {
  const entry = path.join(root, 'lambda', 'handler.ts');
  const outfile = path.join(outdir, 'index.js');
  const probe = await build({ ...common, entryPoints: [entry], write: false, outfile });
  let split = dynamicOnly(probe.metafile);
  let main = await build({ ...common, entryPoints: [entry], outfile, external: [...split.keys()] });
  const bundled = new Set(
    Object.keys(main.metafile.inputs).flatMap((file) => {
      const dir = packageDir(file);
      return dir ? [dir] : [];
    }),
  );
  const kept = new Map([...split].filter(([, file]) => !bundled.has(packageDir(file) ?? file)));
  if (kept.size !== split.size) {
    split = kept;
    main = await build({ ...common, entryPoints: [entry], outfile, external: [...split.keys()] });
  }
  let bytes = Object.values(main.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  for (const [name, file] of split) {
    const side = await build({
      ...common,
      entryPoints: [path.resolve(root, file)],
      outfile: path.join(outdir, 'node_modules', `${name}.js`),
      external: [...split.keys()].filter((other) => other !== name),
    });
    bytes += Object.values(side.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  }
  return { bytes };
}

async function main(): Promise<void> {
  const { bytes } = await buildLambda();
  console.log(
    `built dist/lambda/index.js and its lazily loaded packages (${(bytes / 1024).toFixed(0)} KiB with source maps)`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
