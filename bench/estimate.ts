/**
 * Estimate: how close a pilot's estimate lands to what the campaign then spends. Each run of each case asks the
 * Conversation API for `POST /campaigns?dryRun=true&pilot=auto` (the pilot runs for real), then starts the same spec
 * (which takes the pilot's items over) and reads the manifest's estimate beside the actual: the relative error of
 * the expected tokens, cost and wall time.
 *
 * Cases: examples/campaign.yaml with repeats 4 (24 items), and a 200-item campaign of two pairs whose replies differ
 * in length. The models are fakes with a log-normal reply length, a latency that grows with the calls in flight and
 * one reply in ten refused by the novelty guard (test/fixtures/fake-ollama-process.ts, FAKE_PROFILE=realistic);
 * BENCH_ESTIMATE_REAL=1 runs the example on the stack's real Ollama instead, and only it.
 */
import { request } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CampaignEstimate } from '../src/campaign/estimate';
import { estimateRatioLine } from '../src/campaign/dataset/estimate-vs-actual';
import { formatEstimate } from '../src/cli/campaign';
import type { CampaignManifest } from '../src/contracts/campaign';
import { campaignWorkflowId } from '../src/contracts/campaign';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import { DEFAULT_OLLAMA_MODEL } from '../src/contracts/limits';
import { bearerHeaders } from '../src/shared/auth';
import { repoRoot } from '../src/stack/paths';
import { startBenchStack, type BenchStack } from './full-stack';
import { benchRuns, summarize, type Summary } from './stats';

/** A POST whose answer may take minutes (a pilot): node:http has no response deadline of its own. */
interface ApiAnswer {
  status: number;
  json: { estimate?: CampaignEstimate; error?: unknown };
}

function postJson(stack: BenchStack, url: string, body: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.apiUrl}${url}`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...bearerHeaders(stack.apiKey) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApiAnswer['json'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

interface Errors {
  tokens: number;
  cost: number;
  wallTime: number;
}

/**
 * One run: the pilot estimate, then the campaign, and actual / expected − 1 for each figure. `show`: prints the
 * estimate and the last line as the CLI would (what docs/campaigns.md shows).
 */
async function estimateRun(stack: BenchStack, spec: CampaignSpec, show = false): Promise<Errors> {
  const dry = await postJson(stack, '/campaigns?dryRun=true&pilot=auto', spec);
  if (dry.status !== 200) throw new Error(`dry run: ${dry.status} ${JSON.stringify(dry.json)}`);
  if (dry.json.estimate?.basis !== 'pilot') throw new Error(`estimate basis ${dry.json.estimate?.basis}`);
  const started = await postJson(stack, '/campaigns', spec);
  if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.json)}`);
  await stack.client.workflow.getHandle(campaignWorkflowId(spec.campaignId!)).result();
  const manifest = JSON.parse(
    readFileSync(path.join(stack.env.OUTPUT_DIR!, 'campaigns', spec.campaignId!, 'manifest.json'), 'utf8'),
  ) as CampaignManifest;
  const ratio = manifest.estimate?.ratio;
  if (!ratio || ratio.tokens === null || ratio.costUsd === null || ratio.wallTime === null) {
    throw new Error(`campaign ${spec.campaignId}: no estimate vs actual in its manifest`);
  }
  if (show) {
    formatEstimate(spec.campaignId!, dry.json.estimate).forEach((line) => console.error(line));
    console.error(estimateRatioLine(manifest.estimate!));
  }
  console.error(
    `[bench] estimate ${spec.campaignId}: actual/expected tokens ${ratio.tokens}, cost ${ratio.costUsd}, ` +
      `wall time ${ratio.wallTime} (pilot ${manifest.estimate!.pilot?.items} items)`,
  );
  return { tokens: ratio.tokens - 1, cost: ratio.costUsd - 1, wallTime: ratio.wallTime - 1 };
}

function exampleSpec(run: number, tag: string): CampaignSpec {
  const example = parseYaml(
    readFileSync(path.join(repoRoot, 'examples', 'campaign.yaml'), 'utf8'),
  ) as CampaignSpec;
  return {
    ...example,
    campaignId: `bench-estimate-example-${tag}-${run}`,
    // Seeds of their own each run, so no run finds another's replies.
    seeds: example.seeds!.map((s) =>
      typeof s === 'string' ? `(run ${run}) ${s}` : { ...s, query: `(run ${run}) ${s.query}` },
    ),
    repeats: 4,
  };
}

function fakeSpec(run: number, tag: string): CampaignSpec {
  return {
    campaignId: `bench-estimate-200-${tag}-${run}`,
    seeds: Array.from({ length: 20 }, (_, i) => `Run ${run} seed ${i}: tell me about tides`),
    pairs: [{ cloud: { maxTokens: 240 } }, { cloud: { maxTokens: 48 }, local: { maxTokens: 64 } }],
    repeats: 5,
    maxTurns: 3,
    concurrency: 10,
  };
}

/** median and worst of |error| over the runs (Summary's max), and the signed errors' spread. */
function errorFigures(prefix: string, errors: Errors[]): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const key of ['tokens', 'cost', 'wallTime'] as const) {
    out[`${prefix}.${key}Error`] = summarize(errors.map((e) => Math.abs(e[key])));
    out[`${prefix}.${key}Signed`] = summarize(errors.map((e) => e[key]));
  }
  return out;
}

export async function runEstimateBench(runs = benchRuns()): Promise<Record<string, Summary | number>> {
  const real = process.env.BENCH_ESTIMATE_REAL === '1';
  const prices = path.join(mkdtempSync(path.join(tmpdir(), 'bench-estimate-')), 'prices.json');
  // Both sides are the same model here (the Lambda's Ollama provider and the worker's): a price makes cost a figure.
  writeFileSync(
    prices,
    JSON.stringify({ [DEFAULT_OLLAMA_MODEL]: { inputPer1k: 0.0002, outputPer1k: 0.0008 } }),
  );
  const stack = await startBenchStack({
    latencyMs: 30,
    realOllama: real,
    separateCloudFake: !real,
    fakeEnv: { FAKE_PROFILE: 'realistic', FAKE_MS_PER_TOKEN: '2', FAKE_SLOTS: '4' },
    env: { MODEL_PRICES_FILE: prices },
  });
  const tag = Date.now().toString(36);
  const example: Errors[] = [];
  const large: Errors[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      example.push(await estimateRun(stack, exampleSpec(r, tag), r === 0));
      if (!real) large.push(await estimateRun(stack, fakeSpec(r, tag)));
    }
  } finally {
    await stack.stop();
  }
  const all = [...example, ...large];
  return {
    ...errorFigures('estimate', all),
    ...errorFigures(real ? 'estimate.exampleRealModel' : 'estimate.example', example),
    ...(large.length > 0 ? errorFigures('estimate.fake200', large) : {}),
  };
}
