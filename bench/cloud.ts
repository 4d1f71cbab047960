/**
 * Cloud path benchmark (`npm run bench -- cloud`, or `tsx bench/cloud.ts` alone):
 * - added latency and throughput: LLM REST service → local API gateway → Lambda handler, each its own process
 *   as `npm start` runs them, with a zero-latency model, vs. a bare HTTP server calling the same model directly,
 *   measured with autocannon in the same run;
 * - cold start: a new `node` process loads dist/lambda/index.js and answers one invocation (Bedrock SDK against a
 *   local Bedrock wire server), vs. a hello-world handler, both timed in the child from process start;
 * - the bundle's size.
 * Every figure is the median of several runs, with min–max.
 */
import autocannon from 'autocannon';
import { fork, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { protobufBody, restEvent, userRequest } from '../test/fixtures/apigw-events';
import { FakeBedrock } from '../test/fixtures/bedrock-server';
import { buildServices, compiledEntry } from '../src/stack/build';
import { repoRoot } from '../src/stack/paths';
import { percentile, summarize } from './stats';
import type { Summary } from './stats';

const root = repoRoot;
const bundle = path.join(root, 'dist', 'lambda', 'index.js');
const RUNS = 5;
const COLD_RUNS = 7;
const SECONDS = 3;
const CONNECTIONS = 16;
const QUERY = 'What is the capital of France?';
const BODY = JSON.stringify({ inputText: QUERY });
/** The usual way to write the handler (the AWS SDK v3 Converse example), unbundled: what ours is measured against. */
const SDK_BASELINE = path.join(repoRoot, 'bench', 'sdk-baseline-handler.mjs');

interface Started {
  url: string;
  child: ChildProcess;
}

/** One of cloud-server.ts's modes in its own process; its logs go where production logs would, not here. */
function startServer(mode: string, ...args: string[]): Promise<Started> {
  const child = fork(compiledEntry('bench/cloud-server.ts'), [mode, ...args], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'production' },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ url: m.url, child }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

interface Load {
  latenciesMs: number[];
  reqPerSec: number;
}

function load(url: string, connections: number, seconds = SECONDS): Promise<Load> {
  const latenciesMs: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/api/v1/generate`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        connections,
        duration: seconds,
      },
      (err, result) => {
        if (err) return reject(err);
        if (result.non2xx > 0 || result.errors > 0) {
          return reject(new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`));
        }
        resolve({ latenciesMs, reqPerSec: result.requests.average });
      },
    );
    // autocannon's own histogram rounds to whole milliseconds; its response event has the exact time.
    instance.on('response', (_client, _status, _bytes, responseTime) => latenciesMs.push(responseTime));
  });
}

async function measureAddedLatency() {
  await buildServices();
  const direct = await startServer('direct');
  const gateway = await startServer('gateway');
  const service = await startServer('service', gateway.url);
  try {
    await load(direct.url, CONNECTIONS, 2);
    await load(service.url, CONNECTIONS, 2);
    const added = { p50: [] as number[], p99: [] as number[] };
    const stack = { p50: [] as number[], reqPerSec: [] as number[] };
    const baseline = { p50: [] as number[], reqPerSec: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      // Alternate the order so that neither side always runs on a machine warmed (or throttled) by the other.
      const order = run % 2 === 0 ? [direct, service] : [service, direct];
      const [first, second] = [await load(order[0]!.url, 1), await load(order[1]!.url, 1)];
      const [d, s] = order[0] === direct ? [first, second] : [second, first];
      added.p50.push(percentile(s.latenciesMs, 50) - percentile(d.latenciesMs, 50));
      added.p99.push(percentile(s.latenciesMs, 99) - percentile(d.latenciesMs, 99));
      stack.p50.push(percentile(s.latenciesMs, 50));
      baseline.p50.push(percentile(d.latenciesMs, 50));
      stack.reqPerSec.push((await load(service.url, CONNECTIONS)).reqPerSec);
      baseline.reqPerSec.push((await load(direct.url, CONNECTIONS)).reqPerSec);
    }
    return {
      addedP50Ms: summarize(added.p50),
      addedP99Ms: summarize(added.p99),
      stackP50Ms: summarize(stack.p50),
      directP50Ms: summarize(baseline.p50),
      reqPerSec: summarize(stack.reqPerSec),
      directReqPerSec: summarize(baseline.reqPerSec),
    };
  } finally {
    for (const { child } of [service, gateway, direct]) child.kill();
  }
}

/** Loads a handler module in this (fresh) process, invokes it once, and prints ms since process start. */
const COLD_RUNNER = `
const file = process.env.BENCH_MODULE;
// An ES module the way Lambda loads one (import), a CommonJS bundle the way it loads that (require).
const load = file.endsWith('.mjs') ? import(file) : Promise.resolve(require(file));
load.then((mod) => {
const context = { awsRequestId: 'cold-start', getRemainingTimeInMillis: () => 10000 };
Promise.resolve(mod.handler(JSON.parse(process.env.BENCH_EVENT), context)).then((result) => {
  const line = JSON.stringify({ ms: performance.now(), status: result.statusCode });
  process.stdout.write(\`\\n\${line}\\n\`);
});
});
`;

function coldStart(module: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', COLD_RUNNER], {
      env: { PATH: process.env.PATH ?? '', ...env, BENCH_MODULE: module },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', () => {
      try {
        // The handler's own log lines come first; the runner's line is the last.
        const last = out.trim().split('\n').at(-1) ?? '';
        const { ms, status } = JSON.parse(last) as { ms: number; status: number };
        if (status !== 200) throw new Error(`status ${status}`);
        resolve(ms);
      } catch (err) {
        reject(new Error(`cold start of ${module} failed: ${String(err)} (${out})`));
      }
    });
  });
}

export async function measureColdStart() {
  const built = spawnSync('npm', ['run', '--silent', 'build:lambda'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build:lambda failed');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
  const hello = path.join(dir, 'hello.js');
  writeFileSync(hello, "exports.handler = async () => ({ statusCode: 200, body: 'hello' });\n");
  const bedrock = new FakeBedrock();
  const endpoint = await bedrock.start();
  const event = JSON.stringify(restEvent(protobufBody(userRequest(QUERY))));
  // The function's environment as template.yaml sets it, pointed at the local Bedrock wire server.
  const lambdaEnv = {
    BENCH_EVENT: event,
    MODEL_PROVIDER: 'bedrock',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'benchmark',
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: endpoint,
    POWERTOOLS_SERVICE_NAME: 'llm-lambda',
  };
  try {
    const ours: number[] = [];
    const helloWorld: number[] = [];
    const sdk: number[] = [];
    const ratios: number[] = [];
    const vsSdk: number[] = [];
    const baselineEnv = {
      ...lambdaEnv,
      BENCH_EVENT: JSON.stringify({ body: JSON.stringify({ inputText: QUERY }) }),
    };
    for (let run = 0; run < COLD_RUNS; run++) {
      // Alternate the order so that neither always starts on a machine warmed by the other.
      const a = run % 2 ? await coldStart(bundle, lambdaEnv) : 0;
      const c = await coldStart(SDK_BASELINE, baselineEnv);
      const ourMs = a || (await coldStart(bundle, lambdaEnv));
      const b = await coldStart(hello, { BENCH_EVENT: event });
      ours.push(ourMs);
      sdk.push(c);
      helloWorld.push(b);
      ratios.push(ourMs / b);
      vsSdk.push(ourMs / c);
    }
    if (bedrock.calls.length !== 2 * COLD_RUNS) throw new Error(`expected ${2 * COLD_RUNS} Bedrock calls`);
    return {
      coldStartVsSdkBaseline: summarize(vsSdk),
      coldStartRatio: summarize(ratios),
      coldStartMs: summarize(ours),
      sdkBaselineColdStartMs: summarize(sdk),
      helloWorldColdStartMs: summarize(helloWorld),
    };
  } finally {
    await bedrock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCloudBench(): Promise<Record<string, number>> {
  const figures: Record<string, Summary> = {
    ...(await measureColdStart()),
    ...(await measureAddedLatency()),
  };
  const flat: Record<string, number> = { 'cloud.bundleBytes': statSync(bundle).size };
  for (const [name, s] of Object.entries(figures)) {
    flat[`cloud.${name}`] = s.median;
    flat[`cloud.${name}Min`] = s.min;
    flat[`cloud.${name}Max`] = s.max;
  }
  return flat;
}

const TARGETS: Record<string, string> = {
  addedP50Ms: '≤ 2',
  reqPerSec: '≥ 2000',
  coldStartVsSdkBaseline: '≤ 0.6',
};

async function main(): Promise<void> {
  const results = await runCloudBench();
  const rows = Object.keys(results)
    .filter((k) => !/M(in|ax)$/.test(k))
    .map((key) => {
      const name = key.slice('cloud.'.length);
      const spread =
        results[`${key}Min`] === undefined
          ? ''
          : `${results[`${key}Min`]!.toFixed(2)}–${results[`${key}Max`]!.toFixed(2)}`;
      return {
        figure: key,
        median: Number(results[key]!.toFixed(2)),
        'min–max': spread,
        target: TARGETS[name] ?? '',
      };
    });
  console.table(rows);
  const file = path.join(root, 'bench-results', 'latest.json');
  mkdirSync(path.dirname(file), { recursive: true });
  let latest: Record<string, unknown> = {};
  try {
    latest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // No earlier results.
  }
  const cloud = Object.fromEntries(Object.entries(results).map(([k, v]) => [k.slice('cloud.'.length), v]));
  latest.cloud = { ...(latest.cloud as object | undefined), ...cloud, measuredAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(latest, null, 2)}\n`);
  console.log(`merged into ${path.relative(root, file)}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
