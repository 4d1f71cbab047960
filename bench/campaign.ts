/**
 * Campaign: a 200-item × 3-turn campaign at 100 ms fakes against the same 200 conversations started one by one
 * through the Conversation API at the same concurrency, in the same run; and the peak of model calls each
 * provider saw in flight (each side has its own fake Ollama), against its cap.
 */
import { Client, Connection } from '@temporalio/client';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import { CAMPAIGN_WORKFLOW_TYPE } from '../src/contracts/campaign';
import type { campaignWorkflow } from '../src/campaign/workflows/campaign';
import { converseViaApi } from './api-client';
import { startBenchStack, type BenchStack } from './full-stack';
import { summarize, type Summary } from './stats';

const TURNS = 3;
const LATENCY_MS = 100;

/** Items (conversations) a minute, the campaign run by the campaign workflow. */
async function campaignItemsPerMinute(
  client: Client,
  spec: CampaignSpec,
  tag: string,
): Promise<{ itemsPerMinute: number }> {
  const started = performance.now();
  const result = await client.workflow.execute<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: 'llm-conversations',
    workflowId: `campaign-bench-${tag}`,
    args: [spec],
  });
  const minutes = (performance.now() - started) / 60_000;
  if (result.counts.completed !== result.itemCount) {
    throw new Error(`campaign ${tag}: ${result.counts.completed} of ${result.itemCount} items completed`);
  }
  return { itemsPerMinute: result.itemCount / minutes };
}

/** The same conversations through `POST /conversation?wait=true`, `concurrency` at a time. */
async function oneByOneItemsPerMinute(
  stack: BenchStack,
  queries: string[],
  concurrency: number,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < queries.length) {
        const query = queries[next++]!;
        const r = await converseViaApi(stack, { initialQuery: query, maxTurns: TURNS });
        if (r.completedTurns !== TURNS) throw new Error(`one-by-one: ${r.completedTurns} turns`);
      }
    }),
  );
  return queries.length / ((performance.now() - started) / 60_000);
}

export async function runCampaignBench(
  runs = Number(process.env.BENCH_CAMPAIGN_RUNS ?? '3'),
  items = Number(process.env.BENCH_CAMPAIGN_ITEMS ?? '200'),
  concurrency = Number(process.env.BENCH_CAMPAIGN_CONCURRENCY ?? '10'),
): Promise<Record<string, Summary | number>> {
  const caps = { cloud: concurrency, local: concurrency };
  const stack = await startBenchStack({
    latencyMs: LATENCY_MS,
    separateCloudFake: true,
    env: {
      CLOUD_MAX_CONCURRENT_CALLS: String(caps.cloud),
      CLOUD_MAX_CALLS_PER_SECOND: '0',
      LOCAL_MAX_CONCURRENT_CALLS: String(caps.local),
    },
  });
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE ?? 'default' });
  const campaign: number[] = [];
  const oneByOne: number[] = [];
  const ratios: number[] = [];
  try {
    await converseViaApi(stack, { initialQuery: 'warm up', maxTurns: 1 });
    for (let r = 0; r < runs; r++) {
      // 200 items = 20 seeds × 2 pairs × 5 repeats; the one-by-one run uses the same number of queries.
      const seeds = Array.from({ length: items / 10 }, (_, i) => `Run ${r} seed ${i}: tell me about tides`);
      const spec: CampaignSpec = {
        seeds,
        pairs: [{ cloud: { temperature: 0.2 } }, { cloud: { temperature: 0.8 } }],
        repeats: 5,
        maxTurns: TURNS,
        concurrency,
      };
      const { itemsPerMinute } = await campaignItemsPerMinute(client, spec, `r${r}`);
      const queries = Array.from({ length: items }, (_, i) => `${seeds[i % seeds.length]} (${i})`);
      const plain = await oneByOneItemsPerMinute(stack, queries, concurrency);
      campaign.push(itemsPerMinute);
      oneByOne.push(plain);
      ratios.push(itemsPerMinute / plain);
    }
    const [cloud, local] = await Promise.all([stack.fakeStats('cloud'), stack.fakeStats('local')]);
    return {
      'campaign.itemsPerMinute': summarize(campaign),
      'campaign.oneByOneItemsPerMinute': summarize(oneByOne),
      'campaign.vsOneByOne': summarize(ratios),
      'campaign.peakInFlight.cloud': cloud.peakInFlight,
      'campaign.peakInFlight.local': local.peakInFlight,
      'campaign.caps.cloud': caps.cloud,
      'campaign.caps.local': caps.local,
    };
  } finally {
    await connection.close();
    await stack.stop();
  }
}
