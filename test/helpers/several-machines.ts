/**
 * Workers on several machines, on one (test/e2e/several-machines*.test.ts, one per Temporal backend): two worker
 * processes as the stack runs them, each with its own OUTPUT_DIR (its "local disk"), on one Temporal server and the
 * same fake model servers.
 * - Both on one S3 API server (moto, OUTPUT_URL): a 100-item campaign with one worker SIGKILLed midway ends
 *   `completed` with its whole dataset in the bucket, read back by readers we did not write (hyparquet for the
 *   Parquet), nothing on either local disk, and every S3 request valid against botocore's `s3` model.
 * - Folders only: the same set-up ends `failed`, naming what the dataset step could not find and where, never
 *   `completed` without a dataset.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import {
  CAMPAIGN_WORKFLOW_TYPE,
  CampaignFailureType,
  campaignStatusQuery,
  type CampaignItem,
  type CampaignManifest,
  type CampaignStatusView,
} from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { S3Store, s3ClientFromEnv } from '../../src/output/s3-store';
import { S3Server } from '../fixtures/s3-server';
import { s3Operations, s3Problems } from './botocore-s3';
import { until } from './wait';
import { withWorkerComponents, type WorkerComponentsOptions } from './worker-components';
import { hashedQuestion } from '../fixtures/ollama-server';

const BUCKET = 'outputs';
const PREFIX = 'several-machines';

/**
 * Registers the file's tests on a stack of `backend.env` (e.g. TEMPORAL_BACKEND) whose Temporal is started by
 * `backend.start` (the workers are the tests' own).
 */
export function describeSeveralMachines(
  backend: Required<Pick<WorkerComponentsOptions, 'env' | 'start'>>,
): void {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await S3Server.start();
    await s3.createBucket(BUCKET);
  }, 90_000);
  afterAll(async () => {
    await s3?.stop();
  });

  const stack = withWorkerComponents({
    llmLatencyMs: 20,
    ollama: {
      latencyMs: 20,
      reply: hashedQuestion,
    },
    env: { CLOUD_MAX_CALLS_PER_SECOND: '0', ...backend.env },
    start: backend.start,
  });

  /** A worker as on a machine of its own: its own OUTPUT_DIR, no metrics ports to share with the other. */
  async function startWorker(label: string, env: Record<string, string> = {}): Promise<string> {
    const outputDir = mkdtempSync(path.join(tmpdir(), `${label}-disk-`));
    await stack.components.start('worker', label, {
      env: { OUTPUT_DIR: outputDir, WORKER_METRICS_ADDRESS: '', CONVERSATION_METRICS_ADDRESS: '', ...env },
    });
    return outputDir;
  }

  /**
   * Until the workers started under `labels` all poll the main task queue for workflow and activity tasks: the
   * stack's readiness check is satisfied by the first one alone, and a campaign started before the second polls
   * could run on one machine.
   */
  async function untilPolling(labels: readonly string[]): Promise<void> {
    const identities = labels.map((label) => `${stack.components.pid(label)}@`);
    const pollers = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
      (
        await stack.client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: 'llm-conversations' },
          taskQueueType,
        })
      ).pollers.map((p) => p.identity ?? '');
    const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
    await until(
      async () => [
        ...(await pollers(TASK_QUEUE_TYPE_WORKFLOW)),
        ...(await pollers(TASK_QUEUE_TYPE_ACTIVITY)),
      ],
      (seen) => identities.every((id) => seen.filter((s) => s.startsWith(id)).length >= 2),
      { timeoutMs: 60_000, intervalMs: 200, what: `${labels.join(' and ')} polling` },
    );
  }

  function startCampaign(
    campaignId: string,
    spec: CampaignSpec,
  ): Promise<WorkflowHandle<typeof campaignWorkflow>> {
    return stack.client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
      taskQueue: 'llm-conversations',
      workflowId: `campaign-${campaignId}`,
      args: [spec],
    });
  }

  const seeds = (n: number) =>
    Array.from({ length: n }, (_, i) => `Seed ${i}: what would a second machine change?`);

  describe('two workers with separate disks on one S3 store, one SIGKILLed midway', () => {
    const id = 'on-s3';
    const store = () => new S3Store({ client: s3ClientFromEnv(s3.env), bucket: BUCKET, prefix: PREFIX });
    const text = async (key: string) => (await store().read(`campaigns/${id}/${key}`))?.toString('utf8');
    const jsonLines = async (key: string) =>
      ((await text(key)) ?? '')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    let disks: string[];
    let result: Awaited<ReturnType<typeof campaignWorkflow>>;
    let killedAt: number;

    beforeAll(async () => {
      const env = { ...s3.env, OUTPUT_URL: `s3://${BUCKET}/${PREFIX}` };
      disks = [await startWorker('worker-a', env), await startWorker('worker-b', env)];
      await untilPolling(['worker-a', 'worker-b']);
      const handle = await startCampaign(id, {
        seeds: seeds(25),
        pairs: [{}],
        repeats: 4,
        maxTurns: 2,
        concurrency: 10,
      });
      killedAt = (
        await until(
          () => handle.query(campaignStatusQuery),
          (s) => s.counts.completed >= 30,
          { timeoutMs: 300_000, intervalMs: 200, what: '30 completed items' },
        )
      ).counts.completed;
      await stack.components.stop('worker-a', { signal: 'SIGKILL' });
      result = await handle.result();
      await stack.components.stop('worker-b');
    }, 900_000);

    it('completes with every item, the other worker carrying on alone', () => {
      expect(killedAt).toBeLessThan(100);
      expect(result.status).toBe('completed');
      expect(result.counts).toEqual({ pending: 0, running: 0, completed: 100, failed: 0, skipped: 0 });
    });

    it('has the whole dataset in the bucket: every item in conversations.jsonl and in the Parquet file', async () => {
      const plan = (await jsonLines('plan.jsonl')) as unknown as CampaignItem[];
      const expected = plan.map((i) => `campaign-${id}-${i.itemHash}`).sort();
      expect(expected).toHaveLength(100);

      const rows = await jsonLines('conversations.jsonl');
      expect(rows.map((r) => r.id).sort()).toEqual(expected);
      expect(rows.every((r) => (r.messages as unknown[]).length === 4)).toBe(true);

      const { parquetReadObjects } = await import('hyparquet');
      const bytes = (await store().read(`campaigns/${id}/conversations.parquet`))!;
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const table = await parquetReadObjects({ file });
      expect(table.map((r) => r.id).sort()).toEqual(expected);
      expect(table.every((r) => r.turns === 2)).toBe(true);

      const manifest = JSON.parse((await text('manifest.json'))!) as CampaignManifest;
      expect(manifest.status).toBe('completed');
      const transcripts = (await store().list(`campaigns/${id}/conversations`)).filter((k) =>
        k.endsWith('.jsonl'),
      );
      expect(transcripts).toHaveLength(100);
      for (const file of [
        'sharegpt.jsonl',
        'perspectives/cloud.jsonl',
        'perspectives/local.jsonl',
        'README.md',
      ]) {
        expect(await store().exists(`campaigns/${id}/${file}`)).toBe(true);
      }
    });

    it('wrote nothing on either local disk', () => {
      for (const disk of disks) expect(readdirSync(disk)).toEqual([]);
    });

    it('sent only S3 requests valid against botocore’s s3 model (both workers, and the test’s reads)', () => {
      const requests = s3.requests();
      expect([...s3Operations(requests)]).toEqual(
        expect.arrayContaining(['PutObject', 'GetObject', 'ListObjectsV2']),
      );
      expect(s3Problems(requests)).toEqual([]);
    });
  });

  describe('two workers with separate disks and no shared store', () => {
    const id = 'folders-only';
    let failure: unknown;
    let status: CampaignStatusView;
    let disks: string[];

    beforeAll(async () => {
      disks = [await startWorker('worker-c'), await startWorker('worker-d')];
      await untilPolling(['worker-c', 'worker-d']);
      const handle = await startCampaign(id, {
        seeds: seeds(4),
        pairs: [{}],
        repeats: 4,
        maxTurns: 2,
        concurrency: 8,
      });
      // The dataset step is retried (10 attempts, up to 30 s apart) before the campaign gives up.
      failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      status = await handle.query(campaignStatusQuery);
    }, 600_000);

    it('ends failed, never completed, naming what it could not find and where', () => {
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      // The dataset step (or a checkpoint before it) finds files another worker wrote to its own disk missing from
      // this one's, whichever were written where: the transcripts, or the plan and manifest themselves.
      expect(status.status).toBe('failed');
      expect(status.failure?.message).toBe(cause.message);
      expect(cause.message).toMatch(/is missing|are not in|is not in/);
      expect(disks.some((disk) => cause.message.includes(disk))).toBe(true);
      expect(cause.message).toContain('set OUTPUT_URL');
      expect(status.counts.completed).toBe(16);
    });

    it('leaves no dataset on either disk, and the last manifest says failed, and why', () => {
      const manifests = disks
        .map((d) => path.join(d, 'campaigns', id, 'manifest.json'))
        .filter((f) => existsSync(f))
        .map((f) => JSON.parse(readFileSync(f, 'utf8')) as CampaignManifest);
      expect(
        manifests.some(
          (m) => m.status === 'failed' && m.failure?.type === CampaignFailureType.DatasetIncomplete,
        ),
      ).toBe(true);
      for (const disk of disks) {
        expect(existsSync(path.join(disk, 'campaigns', id, 'conversations.jsonl'))).toBe(false);
      }
    });
  });
}
