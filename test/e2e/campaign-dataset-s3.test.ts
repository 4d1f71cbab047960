/**
 * A campaign's dataset written to the S3 output store (OUTPUT_URL on a real S3 API server, moto) and read back as a
 * user would fetch it, every object under the campaign's prefix into a folder: each config and split of the card
 * loads with the `datasets` library, the curated `train` split and the `dropped` one with their rules.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { CAMPAIGN_WORKFLOW_TYPE, type CampaignManifest } from '../../src/contracts/campaign';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { S3Server } from '../fixtures/s3-server';
import { CONFIG_COLUMNS, loadDataset } from '../helpers/load-dataset';
import { withWorkerComponents } from '../helpers/worker-components';

const BUCKET = 'datasets';
const PREFIX = 'runs';

let moto: S3Server;
/** Filled before the stack starts (this beforeAll runs first). */
const env: Record<string, string> = {};

beforeAll(async () => {
  moto = await S3Server.start();
  await moto.createBucket(BUCKET);
  Object.assign(env, moto.env, { OUTPUT_URL: `s3://${BUCKET}/${PREFIX}` });
}, 120_000);

const stack = withWorkerComponents({
  llmLatencyMs: 10,
  // The judge's page of reviews ends with "Score:": a low score for the conversations about tides.
  ollama: {
    latencyMs: 10,
    reply: (prompt, call) =>
      prompt.endsWith('Score:')
        ? prompt.includes('tides')
          ? ' 3/10 - drifts off.'
          : ' 8/10 - on topic.'
        : `What about ${call}?`,
  },
  env,
});

afterAll(async () => {
  await moto?.stop();
});

/** Every object under `prefix` into `folder`, keeping the layout below the prefix. */
async function download(prefix: string, folder: string): Promise<string[]> {
  const client = moto.client();
  const names: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }),
      );
      for (const { Key } of page.Contents ?? []) {
        const name = Key!.slice(prefix.length + 1);
        const body = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
        await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
        await writeFile(path.join(folder, name), await body.Body!.transformToByteArray());
        names.push(name);
      }
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return names.sort();
}

test('a curated dataset in the S3 store: every config and split loads with the datasets library', async () => {
  const spec: CampaignSpec = {
    campaignId: 'dataset-s3',
    seeds: ['Why is the sky blue?', 'What is a durable workflow?', 'How do tides work?'],
    pairs: [{}, { local: { temperature: 0.2 } }],
    maxTurns: 2,
    concurrency: 6,
    novelty: false,
    judge: { model: 'gemma3:270m', side: 'local', rubric: 'Reward answers that stay on topic.' },
    curate: { minJudgeScore: 5, minTurns: 2 },
  };
  const handle = await stack.client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: stack.components.env.TEMPORAL_TASK_QUEUE ?? 'llm-conversations',
    workflowId: 'campaign-dataset-s3',
    args: [spec],
  });
  expect(await handle.result()).toMatchObject({ status: 'completed', counts: { completed: 6 } });

  const folder = await mkdtemp(path.join(tmpdir(), 'dataset-s3-'));
  const names = await download(`${PREFIX}/campaigns/dataset-s3`, folder);
  expect(names).toEqual(
    expect.arrayContaining(['README.md', 'conversations.parquet', 'dropped.parquet', 'manifest.json']),
  );
  const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;
  // The two conversations about tides (one per pair) scored 3: dropped by minJudgeScore.
  expect(manifest.curation).toEqual({ candidates: 6, kept: 4, dropped: 2, byRule: { minJudgeScore: 2 } });
  expect(manifest.diversity?.pairs.map((p) => p.conversations)).toEqual([3, 3]);

  const loaded = await loadDataset(folder);
  expect(Object.keys(loaded)).toEqual(Object.keys(CONFIG_COLUMNS));
  for (const [config, splits] of Object.entries(loaded)) {
    const expected = config === 'default' ? { train: 4, dropped: 2 } : { train: 4 };
    expect({ config, rows: Object.fromEntries(Object.entries(splits).map(([s, l]) => [s, l.rows])) }).toEqual(
      {
        config,
        rows: expected,
      },
    );
    for (const [split, { columns }] of Object.entries(splits)) {
      expect({ config, split, columns }).toEqual({ config, split, columns: CONFIG_COLUMNS[config] });
    }
  }
  expect(loaded.default!.dropped!.first).toMatchObject({ judge_score: 3, dropped_by: ['minJudgeScore'] });
  expect(loaded.default!.train!.first).toMatchObject({ judge_score: 8, dropped_by: [] });
}, 600_000);
