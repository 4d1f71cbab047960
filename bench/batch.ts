/**
 * Batch mode: a campaign whose cloud side goes through Bedrock batch jobs, on the full stack with BEDROCK_BATCH=local
 * (moto's S3 server and the Bedrock batch stand-in answering through the fake Ollama) at a fixed fake job latency.
 * `batch.costVsOnDemand`: the campaign's cost over what the same tokens cost on demand, with the batch price at half
 * the on-demand price (Bedrock's documented ratio for most models). `batch.overheadPerTurnS`: the campaign's wall
 * time beyond its jobs' own (submit to end, as Bedrock reports them), per turn: the batcher's settle time, its
 * polling granularity, staging and collecting.
 */
import { ListModelInvocationJobsCommand, BedrockClient } from '@aws-sdk/client-bedrock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { campaignWorkflow } from '../src/campaign/workflows/campaign';
import { CAMPAIGN_WORKFLOW_TYPE } from '../src/contracts/campaign';
import type { CampaignSpec } from '../src/contracts/campaign-spec';
import { LOCAL_BATCH_BUCKET } from '../src/stack/bedrock-batch';
import { freePorts } from '../src/stack/ports';
import { startBenchStack } from './full-stack';
import { benchRuns, summarize, type Summary } from './stats';

const ITEMS = 20;
const TURNS = 3;
const JOB_DELAY_MS = 3_000;
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

export async function runBatchBench(runs = benchRuns()): Promise<Record<string, Summary | number>> {
  const [s3Port, standInPort] = await freePorts(2);
  const prices = path.join(mkdtempSync(path.join(tmpdir(), 'bench-batch-')), 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({
      [MODEL]: { inputPer1k: 1, outputPer1k: 5, batchInputPer1k: 0.5, batchOutputPer1k: 2.5 },
    }),
  );
  const stack = await startBenchStack({
    latencyMs: 50,
    env: {
      BEDROCK_BATCH: 'local',
      BEDROCK_BATCH_S3_PORT: String(s3Port),
      BEDROCK_BATCH_PORT: String(standInPort),
      BEDROCK_BATCH_JOB_DELAY_MS: String(JOB_DELAY_MS),
      BEDROCK_BATCH_MIN_RECORDS: String(ITEMS),
      BEDROCK_MODEL_ID: MODEL,
      MODEL_PRICES_FILE: prices,
    },
  });
  const bedrock = new BedrockClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${standInPort}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
  });
  const costRatios: number[] = [];
  const overheads: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const campaignId = `bench-batch-${Date.now()}-${r}`;
      const spec: CampaignSpec = {
        campaignId,
        seeds: Array.from({ length: ITEMS }, (_, i) => `Run ${r} seed ${i}: tell me about tides`),
        pairs: [{}],
        maxTurns: TURNS,
        concurrency: ITEMS,
        novelty: false,
        cloudBatch: {
          roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
          inputS3Uri: `s3://${LOCAL_BATCH_BUCKET}/in`,
          outputS3Uri: `s3://${LOCAL_BATCH_BUCKET}/out`,
          minRecords: ITEMS,
        },
      };
      const started = Date.now();
      const result = await stack.client.workflow.execute<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
        taskQueue: 'llm-conversations',
        workflowId: `campaign-${campaignId}`,
        args: [spec],
      });
      const wallMs = Date.now() - started;
      if (result.counts.completed !== ITEMS || result.totals.batchTurns !== ITEMS * TURNS) {
        throw new Error(
          `batch run ${r}: ${JSON.stringify({ counts: result.counts, totals: result.totals })}`,
        );
      }
      const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: campaignId }));
      const jobMs = (listed.invocationJobSummaries ?? []).reduce(
        (sum, j) => sum + (j.endTime!.getTime() - j.submitTime!.getTime()),
        0,
      );
      costRatios.push(result.totals.costUsd / result.totals.onDemandCostUsd!);
      overheads.push((wallMs - jobMs) / 1000 / TURNS);
    }
    return {
      'batch.costVsOnDemand': summarize(costRatios),
      'batch.overheadPerTurnS': summarize(overheads),
      'batch.jobDelayS': JOB_DELAY_MS / 1000,
      'batch.items': ITEMS,
    };
  } finally {
    bedrock.destroy();
    await stack.stop();
  }
}
