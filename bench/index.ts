/**
 * `npm run bench [-- part...]`: overhead, throughput, ceiling, real-model, cloud, campaign and cluster benchmarks
 * (default), and on request `levers`, `features`, `memory`, `query-latency`, `batch`, `dataset`, `guard`, `estimate`
 * and `report` (docs/performance.md). Prints one table and merges the figures into bench-results/latest.json
 * (git-ignored), which other tooling reads.
 * Every figure is the median of several runs with min–max; every ratio is computed within one run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/stack/paths';
import { runBatchBench } from './batch';
import { runCampaignBench } from './campaign';
import { runCloudBench } from './cloud';
import { runDatasetBench } from './dataset';
import { runEstimateBench } from './estimate';
import { runClusterBench } from './cluster';
import { runFeaturesBench, runQueryLatencyBench } from './features';
import { GuardFailure, runGuardBench } from './guard';
import { runLeversBench } from './levers';
import { runMemoryBench } from './memory';
import { runOverheadBench } from './overhead';
import { runReportBench } from './report';
import { runRealModelBench } from './real-model';
import { fmt, type Summary } from './stats';
import { runCeilingBench, runThroughputBench } from './throughput';

const PARTS: Record<string, () => Promise<Record<string, Summary | number>>> = {
  overhead: () => runOverheadBench(),
  throughput: () => runThroughputBench(),
  ceiling: () => runCeilingBench(),
  levers: () => runLeversBench(),
  features: () => runFeaturesBench(),
  'query-latency': () => runQueryLatencyBench(),
  memory: () => runMemoryBench(),
  'real-model': () => runRealModelBench(),
  cloud: () => runCloudBench(),
  campaign: () => runCampaignBench(),
  cluster: () => runClusterBench(),
  batch: () => runBatchBench(),
  dataset: () => runDatasetBench(),
  guard: () => runGuardBench(),
  estimate: () => runEstimateBench(),
  report: () => runReportBench(),
};

/**
 * `levers`, `features`, `memory`, `query-latency`, `batch`, `dataset`, `guard`, `estimate` and `report` run only
 * when named.
 */
const DEFAULT_PARTS = ['overhead', 'throughput', 'ceiling', 'real-model', 'cloud', 'campaign', 'cluster'];

const TARGETS: Record<string, string> = {
  'overhead.vsTemporalFloor': '≤ 1.03',
  'overhead.ratio': '≤ 1.08',
  'throughput.cpuMsPerTurn': '≤ 40',
  'throughput.vsTemporalFloor': '≥ 0.9',
  'throughput.ratio': '≥ 0.25',
  'throughput.workerPeakRssMb': '≤ 400',
  'realModel.orchestrationShare': '< 0.02',
  'realModel.vsServerBest': '≥ 0.9',
  'realModel.promptEvalShare': '≤ 0.3',
  'cloud.addedP50Ms': '≤ 2',
  'cloud.reqPerSec': '≥ 2000',
  'cloud.coldStartVsSdkBaseline': '≤ 0.6',
  'campaign.vsOneByOne': '≥ 0.9',
  'batch.costVsOnDemand': '≤ 0.5',
  'dataset.metricsSecondsPer10k': '≤ 30',
  'dataset.stepPeakRssMb': '≤ 300',
  'estimate.tokensError': '≤ 0.2 (worst)',
  'estimate.costError': '≤ 0.2 (worst)',
  'estimate.wallTimeError': '≤ 0.2 (worst)',
};

/** `{"a.b": 1}` → `{a: {b: 1}}`, merged into `into`. */
function setPath(into: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = into;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((p) => !(p in PARTS));
  if (unknown.length > 0)
    throw new Error(`unknown part(s) ${unknown.join(', ')}; known: ${Object.keys(PARTS).join(', ')}`);
  const parts = wanted.length > 0 ? wanted : DEFAULT_PARTS;

  const file = path.join(repoRoot, 'bench-results', 'latest.json');
  mkdirSync(path.dirname(file), { recursive: true });
  let results: Record<string, unknown> = {};
  try {
    results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  const rows: string[][] = [];
  const failures: GuardFailure[] = [];
  for (const part of parts) {
    console.error(`[bench] ${part}…`);
    const figures = await PARTS[part]!().catch((err: unknown) => {
      if (!(err instanceof GuardFailure)) throw err;
      failures.push(err);
      return err.figures;
    });
    for (const [key, value] of Object.entries(figures)) {
      const summary = typeof value === 'number' ? undefined : value;
      setPath(results, key, summary ? summary.median : value);
      if (summary) setPath(results, `runs.${key}`, summary);
      rows.push([key, summary ? fmt(summary) : String(value), TARGETS[key] ?? '']);
    }
  }
  results.machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  results.date = new Date().toISOString();
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

  const widths = [0, 1, 2].map((i) =>
    Math.max(...[['figure', 'median (min–max)', 'target'], ...rows].map((r) => r[i]!.length)),
  );
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(['figure', 'median (min–max)', 'target']));
  for (const row of rows) console.log(line(row));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  for (const failure of failures) console.error(`\n[bench] guard failed: ${failure.message}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
