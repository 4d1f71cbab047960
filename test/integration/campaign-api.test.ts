/**
 * The campaign routes and CLI against a real Temporal dev server (visibility, search attributes, id reuse
 * policies, queries and signals as the server implements them), with a stand-in campaignWorkflow
 * (test/fixtures/campaign-workflow.ts) that uses the real plan activities.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { makePlanActivities } from '../../src/campaign/activities/plan';
import { createApp } from '../../src/api/app';
import { CONVERSATION_SEARCH_ATTRIBUTES } from '../../src/conversation/search-attributes';
import { loadConfig } from '../../src/shared/config';
import { requireTool, repoRoot } from '../helpers/tools';
import { until } from '../helpers/wait';
import { LocalStore } from '../../src/output/local-store';

jest.setTimeout(180_000);

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let scratch: string;
let app: ReturnType<typeof createApp>;
const taskQueue = `campaigns-${randomUUID()}`;
const config = { ...loadConfig({}), TEMPORAL_TASK_QUEUE: taskQueue, OUTPUT_DIR: '', INPUT_DIR: '' };

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  scratch = await mkdtemp(path.join(tmpdir(), 'campaign-api-it-'));
  config.OUTPUT_DIR = path.join(scratch, 'output');
  config.INPUT_DIR = path.join(scratch, 'input');
  await mkdir(config.INPUT_DIR);
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireTool('temporal') },
      ip: '127.0.0.1',
      searchAttributes: CONVERSATION_SEARCH_ATTRIBUTES,
    },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/campaign-workflow'),
    activities: makePlanActivities({
      store: new LocalStore(config.OUTPUT_DIR),
      inputDir: config.INPUT_DIR,
    }),
  });
  running = worker.run();
  app = createApp({ client: env.client, config, logger: pino({ level: 'silent' }) });
}, 300_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await rm(scratch, { recursive: true, force: true });
});

type Status = {
  status: string;
  counts: { completed: number; skipped: number };
  items: {
    total: number;
    conversations: { conversationId: string; workflowStatus: string; turns: number; endReason?: string }[];
  };
};

async function statusOf(id: string, query = ''): Promise<Status> {
  const res = await request(app).get(`/campaigns/${id}${query}`);
  expect(res.status).toBe(200);
  return res.body as Status;
}

test('POST /campaigns runs a campaign; GET follows it and lists its conversations from visibility; a resubmission starts nothing', async () => {
  await writeFile(
    path.join(config.INPUT_DIR, 'seeds.csv'),
    'id,query\nsky,Why is the sky blue?\nsea,Why is the sea salty?\n',
  );
  const spec = {
    name: 'it',
    seedsFile: 'seeds.csv',
    pairs: [{}, { cloud: { temperature: 0.2 } }],
    maxTurns: 3,
  };
  const res = await request(app).post('/campaigns').send(spec);
  expect(res.status).toBe(202);
  const { campaignId } = res.body as { campaignId: string };
  expect(res.body).toMatchObject({
    workflowId: `campaign-${campaignId}`,
    status: 'RUNNING',
    itemCount: 4,
    existing: false,
  });

  const done = await until(
    () => statusOf(campaignId, '?limit=3'),
    (s) => s.status === 'completed' && s.items.total === 4,
    {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: 'the campaign completed and visibility lists its 4 conversations',
    },
  );
  expect(done.counts.completed).toBe(4);
  expect(done.items.conversations).toHaveLength(3);
  for (const c of done.items.conversations) {
    expect(c).toMatchObject({ workflowStatus: 'COMPLETED', turns: 3, endReason: 'max_turns' });
    expect(c.conversationId).toMatch(new RegExp(`^campaign-${campaignId}-[0-9a-f]{12}$`));
  }
  const rest = await statusOf(campaignId, '?offset=3&limit=3');
  expect(rest.items.conversations).toHaveLength(1);

  const plan = await readFile(path.join(config.OUTPUT_DIR, 'campaigns', campaignId, 'plan.jsonl'), 'utf8');
  expect(plan.trimEnd().split('\n')).toHaveLength(4);

  const again = await request(app).post('/campaigns').send(spec);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ campaignId, existing: true, status: 'COMPLETED' });
  const closed = await request(app).post(`/campaigns/${campaignId}/pause`);
  expect(closed.status).toBe(409);
  expect((await request(app).get('/campaigns/nope')).status).toBe(404);

  // A second terminal re-attaches: the CLI prints the end and where the dataset is, and exits 0.
  const cli = await runCli(['attach', campaignId]);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain(`campaign ${campaignId} completed: 4 completed, 0 failed, 0 skipped of 4`);
});

test('pause, resume and cancel reach the running campaign; a resubmission while it runs attaches to it', async () => {
  const spec = { name: 'hold', campaignId: `hold-${Date.now()}`, seeds: ['a', 'b'], pairs: [{}] };
  const res = await request(app).post('/campaigns').send(spec);
  expect(res.status).toBe(202);
  const id = spec.campaignId;
  await until(
    () => statusOf(id),
    (s) => s.status === 'running',
    { timeoutMs: 60_000, intervalMs: 200 },
  );

  expect((await request(app).post(`/campaigns/${id}/pause`)).status).toBe(202);
  await until(
    () => statusOf(id),
    (s) => s.status === 'paused',
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  const again = await request(app)
    .post('/campaigns')
    .set('Content-Type', 'application/yaml')
    .send(`name: hold\ncampaignId: ${id}\nseeds: [a, b]\npairs: [{}]\n`);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ campaignId: id, existing: true, status: 'RUNNING' });
  const other = await request(app)
    .post('/campaigns')
    .send({ ...spec, seeds: ['c'] });
  expect(other.status).toBe(409);

  expect((await request(app).post(`/campaigns/${id}/resume`)).status).toBe(202);
  await until(
    () => statusOf(id),
    (s) => s.status === 'running',
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  expect((await request(app).post(`/campaigns/${id}/cancel`)).status).toBe(202);
  const cancelled = await until(
    () => statusOf(id),
    (s) => s.status === 'cancelled',
    {
      timeoutMs: 60_000,
      intervalMs: 200,
    },
  );
  expect(cancelled.counts.skipped).toBe(2);
});

test('npm run campaign -- spec.yaml starts and follows a campaign to its end (a progress line per change when not a terminal)', async () => {
  const file = path.join(scratch, 'cli.yaml');
  await writeFile(
    file,
    'name: from the CLI\nseeds:\n  - What is a workflow?\npairs:\n  - {}\nrepeats: 2\nmaxTurns: 2\n',
  );
  const cli = await runCli([file, '--poll', '200']);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/campaign [0-9a-f]{16} started: 2 conversations/);
  expect(cli.stdout).toMatch(/completed 2\/2 done · 0 running · 0 failed/);
  expect(cli.stdout).toMatch(
    /campaign [0-9a-f]{16} completed: 2 completed, 0 failed, 0 skipped of 2 · 4 turns/,
  );
});

test('temporal workflow start --input-file spec.json starts the same campaign with no API involved', async () => {
  const file = path.join(scratch, 'spec.json');
  await writeFile(file, JSON.stringify({ campaignId: 'from-temporal-cli', seeds: ['a', 'b'], pairs: [{}] }));
  await new Promise<void>((resolve, reject) =>
    execFile(
      requireTool('temporal'),
      [
        'workflow',
        'start',
        '--address',
        env.address,
        '--type',
        'campaignWorkflow',
        '--task-queue',
        taskQueue,
        '--workflow-id',
        'campaign-from-temporal-cli',
        '--input-file',
        file,
      ],
      { timeout: 60_000 },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  const done = await until(
    () => statusOf('from-temporal-cli'),
    (s) => s.status === 'completed',
    {
      timeoutMs: 60_000,
      intervalMs: 200,
    },
  );
  expect(done.counts.completed).toBe(2);
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'src/cli/campaign.ts'), ...args],
      {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: env.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          OUTPUT_DIR: config.OUTPUT_DIR,
          INPUT_DIR: config.INPUT_DIR,
        },
        timeout: 120_000,
      },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}
