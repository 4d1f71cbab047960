/**
 * The campaign routes of the Conversation API, against a fake Temporal client: every bad spec is a 400 naming its
 * field with nothing started and nothing written; starts, resubmissions, status, pages of conversations, signals.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { stringify as toYaml } from 'yaml';
import {
  cancelCampaignSignal,
  campaignStatusQuery,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../../src/contracts/campaign';
import type { CampaignStatusView } from '../../src/contracts/campaign';
import { specHashOf } from '../../src/campaign/identity';
import { campaignSpecSchema } from '../../src/contracts/campaign-spec';
import { createApp } from '../../src/api/app';
import type { WorkflowClient as ConversationClient } from '../../src/shared/workflow-resource';
import { CAMPAIGN_ID, END_REASON, TURNS_COMPLETED } from '../../src/conversation/search-attributes';
import { loadConfig } from '../../src/shared/config';

const config = { ...loadConfig({}), OUTPUT_DIR: '', INPUT_DIR: '' };
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'campaign-api-'));
  config.OUTPUT_DIR = path.join(scratch, 'output');
  config.INPUT_DIR = path.join(scratch, 'input');
  await mkdir(config.OUTPUT_DIR);
  await mkdir(config.INPUT_DIR);
  await writeFile(path.join(config.INPUT_DIR, 'seeds.jsonl'), '{"query":"ok"}\n{"query":""}\n');
  await writeFile(path.join(config.INPUT_DIR, 'seeds.csv'), 'topic\nnothing\n');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const view: CampaignStatusView = {
  campaignId: 'demo',
  workflowId: 'campaign-demo',
  name: 'demo',
  status: 'running',
  itemCount: 4,
  counts: { pending: 1, running: 1, completed: 2, failed: 0, skipped: 0 },
  totals: { inputTokens: 100, outputTokens: 50, costUsd: 0, turns: 4 },
  startedAt: '2030-01-01T00:00:00.000Z',
  elapsedMs: 1000,
  turnsPerSecond: 4,
};

interface FakeOptions {
  /** Campaign ids that exist already (start refused), with the specHash their memo holds. */
  existing?: Record<string, string | undefined>;
  /** Campaign ids whose workflow has closed. */
  closed?: string[];
  /** The conversations visibility lists for a campaign. */
  conversations?: number;
  noWorker?: boolean;
}

function fakeClient(options: FakeOptions = {}, overrides: Partial<typeof config> = {}) {
  const known = (workflowId: string) =>
    workflowId.slice('campaign-'.length) in (options.existing ?? {}) || started.has(workflowId);
  const started = new Set<string>();
  const notFound = (id: string) =>
    Promise.reject(new WorkflowNotFoundError('workflow not found', id, undefined));
  const closed = (id: string) => (options.closed ?? []).includes(id.slice('campaign-'.length));
  const handle = (workflowId: string) => ({
    workflowId,
    firstExecutionRunId: 'run-1',
    describe: jest.fn(async () =>
      known(workflowId)
        ? {
            workflowId,
            runId: 'run-0',
            status: { name: closed(workflowId) ? 'COMPLETED' : 'RUNNING' },
            startTime: new Date('2030-01-01T00:00:00Z'),
            memo: { specHash: options.existing?.[workflowId.slice('campaign-'.length)] },
          }
        : notFound(workflowId),
    ),
    query: jest.fn(async () => {
      if (options.noWorker) throw new Error('deadline exceeded');
      return view;
    }),
    signal: jest.fn(async () =>
      known(workflowId) && !closed(workflowId) ? undefined : notFound(workflowId),
    ),
  });
  const handles = new Map<string, ReturnType<typeof handle>>();
  const handleFor = (id: string) => handles.get(id) ?? handles.set(id, handle(id)).get(id)!;
  const conversations = Array.from({ length: options.conversations ?? 0 }, (_, i) => ({
    workflowId: `campaign-demo-${String(i).padStart(12, '0')}`,
    status: { name: i % 2 ? 'RUNNING' : 'COMPLETED' },
    typedSearchAttributes: new TypedSearchAttributes([
      { key: TURNS_COMPLETED, value: i },
      ...(i % 2 ? [] : [{ key: END_REASON, value: 'max_turns' }]),
    ]),
  }));
  const fake = {
    workflow: {
      start: jest.fn(async (_type: string, opts: { workflowId: string }) => {
        if (known(opts.workflowId)) {
          throw new WorkflowExecutionAlreadyStartedError(
            'already started',
            opts.workflowId,
            'campaignWorkflow',
          );
        }
        started.add(opts.workflowId);
        return handleFor(opts.workflowId);
      }),
      getHandle: jest.fn((id: string) => handleFor(id)),
      count: jest.fn(async (_query: string) => ({ count: conversations.length, groups: [] })),
      list: jest.fn((_options: { query: string }) =>
        (async function* () {
          yield* conversations;
        })(),
      ),
    },
    workflowService: { getSystemInfo: jest.fn(async () => ({})) },
    withDeadline: jest.fn(<R>(_deadline: number | Date, fn: () => Promise<R>) => fn()),
  };
  const app = createApp({
    client: fake as unknown as ConversationClient,
    config: { ...config, ...overrides },
    logger: pino({ level: 'silent' }),
  });
  return { app, fake, handleFor };
}

const good = { name: 'demo', seeds: ['What is Temporal?', 'Why durable?'], pairs: [{}], maxTurns: 2 };

describe('POST /campaigns: every bad spec is a 400 naming the field; nothing started, nothing written', () => {
  const pair = {};
  const cases: [string, unknown, string][] = [
    ['no body', undefined, 'pairs'],
    ['not an object', ['a'], '(root)'],
    ['no seeds and no seedsFile', { pairs: [pair] }, 'seeds'],
    ['both seeds and seedsFile', { seeds: ['a'], seedsFile: 'seeds.jsonl', pairs: [pair] }, 'seeds'],
    ['empty seeds', { seeds: [], pairs: [pair] }, 'seeds'],
    ['a seed that is a number', { seeds: ['a', 5], pairs: [pair] }, 'seeds[1]'],
    ['an empty seed', { seeds: ['  '], pairs: [pair] }, 'seeds[0]'],
    ['a seed object without query', { seeds: [{ id: 'x' }], pairs: [pair] }, 'seeds[0].query'],
    [
      'a seed object with an unknown field',
      { seeds: [{ query: 'a', topic: 'x' }], pairs: [pair] },
      'seeds[0].topic',
    ],
    ['a bad seed id', { seeds: [{ query: 'a', id: 'has space' }], pairs: [pair] }, 'seeds[0].id'],
    [
      'two seeds with one id',
      {
        seeds: [
          { query: 'a', id: 'x' },
          { query: 'b', id: 'x' },
        ],
        pairs: [pair],
      },
      'seeds[1].id',
    ],
    ['a query over 8000 characters', { seeds: ['x'.repeat(8001)], pairs: [pair] }, 'seeds[0]'],
    ['no pairs', { seeds: ['a'] }, 'pairs'],
    ['empty pairs', { seeds: ['a'], pairs: [] }, 'pairs'],
    [
      'an empty cloud model',
      { seeds: ['a'], pairs: [pair, { cloud: { model: '' } }] },
      'pairs[1].cloud.model',
    ],
    [
      'a cloud temperature over 1',
      { seeds: ['a'], pairs: [{ cloud: { temperature: 1.5 } }] },
      'pairs[0].cloud.temperature',
    ],
    [
      'a local maxTokens of 0',
      { seeds: ['a'], pairs: [{ local: { maxTokens: 0 } }] },
      'pairs[0].local.maxTokens',
    ],
    ['an unknown side option', { seeds: ['a'], pairs: [{ local: { topK: 3 } }] }, 'pairs[0].local.topK'],
    ['an unknown pair field', { seeds: ['a'], pairs: [{ judge: {} }] }, 'pairs[0].judge'],
    [
      'a template without {answer}',
      { seeds: ['a'], pairs: [{ local: { questionTemplate: 'Ask.' } }] },
      'pairs[0].local.questionTemplate',
    ],
    ['two identical pairs', { seeds: ['a'], pairs: [pair, {}] }, 'pairs[1]'],
    [
      'a grid temperature out of range',
      { seeds: ['a'], pairs: [pair], grid: { local: { temperature: [0.5, 3] } } },
      'grid.local.temperature[1]',
    ],
    [
      'an empty grid list',
      { seeds: ['a'], pairs: [pair], grid: { cloud: { systemPrompt: [] } } },
      'grid.cloud.systemPrompt',
    ],
    [
      'a grid value twice',
      { seeds: ['a'], pairs: [pair], grid: { cloud: { systemPrompt: ['x', 'x'] } } },
      'grid.cloud.systemPrompt[1]',
    ],
    [
      'an unknown grid dimension',
      { seeds: ['a'], pairs: [pair], grid: { cloud: { model: ['m'] } } },
      'grid.cloud.model',
    ],
    ['repeats of 0', { seeds: ['a'], pairs: [pair], repeats: 0 }, 'repeats'],
    ['repeats not an integer', { seeds: ['a'], pairs: [pair], repeats: 1.5 }, 'repeats'],
    ['maxTurns over 200', { seeds: ['a'], pairs: [pair], maxTurns: 201 }, 'maxTurns'],
    [
      'maxTurns × tokens over the transcript bound',
      { seeds: ['a'], pairs: [{ cloud: { maxTokens: 8000 } }], maxTurns: 100 },
      'maxTurns',
    ],
    ['a stop phrase that is empty', { seeds: ['a'], pairs: [pair], stopPhrases: [''] }, 'stopPhrases[0]'],
    ['timeoutMinutes of 0', { seeds: ['a'], pairs: [pair], timeoutMinutes: 0 }, 'timeoutMinutes'],
    [
      'an outputFile (each item has its own)',
      { seeds: ['a'], pairs: [pair], outputFile: 'x.csv' },
      'outputFile',
    ],
    ['concurrency of 0', { seeds: ['a'], pairs: [pair], concurrency: 0 }, 'concurrency'],
    ['concurrency over 500', { seeds: ['a'], pairs: [pair], concurrency: 501 }, 'concurrency'],
    [
      'a negative cost budget',
      { seeds: ['a'], pairs: [pair], budget: { maxCostUsd: -1 } },
      'budget.maxCostUsd',
    ],
    ['an unknown budget field', { seeds: ['a'], pairs: [pair], budget: { maxTurns: 3 } }, 'budget.maxTurns'],
    [
      'a judge with an unknown side',
      { seeds: ['a'], pairs: [pair], judge: { model: 'm', side: 'both', rubric: 'r' } },
      'judge.side',
    ],
    [
      'a judge without rubric',
      { seeds: ['a'], pairs: [pair], judge: { model: 'm', side: 'cloud' } },
      'judge.rubric',
    ],
    ['a campaignId with a slash', { campaignId: 'a/b', seeds: ['a'], pairs: [pair] }, 'campaignId'],
    [
      'a campaignId over 64 characters',
      { campaignId: 'a'.repeat(65), seeds: ['a'], pairs: [pair] },
      'campaignId',
    ],
    ['an empty name', { name: '', seeds: ['a'], pairs: [pair] }, 'name'],
    ['an unknown top-level field', { seeds: ['a'], pairs: [pair], seed: ['b'] }, 'seed'],
    ['a seedsFile outside INPUT_DIR', { seedsFile: '../secret.jsonl', pairs: [pair] }, 'seedsFile'],
    ['a seedsFile that is not .jsonl or .csv', { seedsFile: 'seeds.txt', pairs: [pair] }, 'seedsFile'],
    [
      'a batch job polled more often than once a second',
      {
        seeds: ['a'],
        pairs: [pair],
        cloudBatch: {
          roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
          inputS3Uri: 's3://my-bucket/in',
          outputS3Uri: 's3://my-bucket/out',
          pollSeconds: 0.1,
        },
      },
      'cloudBatch.pollSeconds',
    ],
    [
      'a curate repetition above 1',
      { seeds: ['a'], pairs: [pair], curate: { maxRepetition: 1.5 } },
      'curate.maxRepetition',
    ],
    ['a curate minTurns of 0', { seeds: ['a'], pairs: [pair], curate: { minTurns: 0 } }, 'curate.minTurns'],
    [
      'an unknown curate rule',
      { seeds: ['a'], pairs: [pair], curate: { dropBoring: true } },
      'curate.dropBoring',
    ],
    [
      'a curate minJudgeScore without a judge',
      { seeds: ['a'], pairs: [pair], curate: { minJudgeScore: 6 } },
      'curate.minJudgeScore',
    ],
    ['a seedsFile that does not exist', { seedsFile: 'none.jsonl', pairs: [pair] }, 'seedsFile'],
    [
      'a seedsFile line with an empty query',
      { seedsFile: 'seeds.jsonl', pairs: [pair] },
      'seedsFile line 2: query',
    ],
    ['a seedsFile CSV without a query column', { seedsFile: 'seeds.csv', pairs: [pair] }, 'seedsFile line 1'],
    [
      'more items than a campaign may hold',
      { seeds: Array.from({ length: 1001 }, (_, i) => `q${i}`), pairs: [pair], repeats: 100 },
      '(root)',
    ],
  ];

  test('there are at least 25 of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  test.each(cases)('%s → 400 naming the field', async (_what, body, field) => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/campaigns')
      .send(body as object);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.message).toContain(`Invalid campaign spec: ${field}: `);
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ field }));
    expect(fake.workflow.start).not.toHaveBeenCalled();
    expect(await readdir(config.OUTPUT_DIR)).toEqual([]);
  });

  test('a YAML spec with a bad field is a 400 naming it; YAML that does not parse is a 400 too', async () => {
    const { app, fake } = fakeClient();
    const bad = await request(app)
      .post('/campaigns')
      .set('Content-Type', 'application/yaml')
      .send('seeds: [a]\npairs:\n  - cloud: {temperature: 7}\n');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('pairs[0].cloud.temperature');
    const broken = await request(app)
      .post('/campaigns')
      .set('Content-Type', 'application/yaml')
      .send('seeds: [a\n');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('INVALID_YAML');
    const duplicateKey = await request(app)
      .post('/campaigns')
      .set('Content-Type', 'application/yaml')
      .send('seeds: [a]\nseeds: [b]\npairs: [{}]\n');
    expect(duplicateKey.status).toBe(400);
    expect(fake.workflow.start).not.toHaveBeenCalled();
    expect(await readdir(config.OUTPUT_DIR)).toEqual([]);
  });

  test('other body types are refused (415), as on the other routes', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app).post('/campaigns').set('Content-Type', 'text/plain').send('seeds: [a]');
    expect(res.status).toBe(415);
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });
});

describe('POST /campaigns: a good spec', () => {
  test('starts campaignWorkflow as campaign-<id> on the task queue, answering 202 with where to follow it', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app).post('/campaigns').send(good);
    expect(res.status).toBe(202);
    const campaignId = res.body.campaignId as string;
    expect(campaignId).toMatch(/^[0-9a-f]{16}$/);
    expect(res.body).toEqual({
      campaignId,
      workflowId: `campaign-${campaignId}`,
      runId: 'run-1',
      status: 'RUNNING',
      statusUrl: `/campaigns/${campaignId}`,
      itemCount: 2,
      existing: false,
    });
    expect(fake.workflow.start).toHaveBeenCalledTimes(1);
    const [type, options] = fake.workflow.start.mock.calls[0]! as unknown as [
      string,
      Record<string, unknown>,
    ];
    expect(type).toBe('campaignWorkflow');
    expect(options).toMatchObject({
      taskQueue: 'llm-conversations',
      workflowId: `campaign-${campaignId}`,
      args: [{ ...good, campaignId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: '"demo" · 2 conversations',
      memo: { specHash: specHashOf(campaignSpecSchema().parse({ ...good, campaignId })) },
    });
    expect(options.staticDetails).toContain('- **items**: 2');
    // The items it expanded are the plan (the workflow's plan activity finds it and expands nothing again).
    const folder = path.join(config.OUTPUT_DIR, 'campaigns', campaignId);
    expect((await readdir(folder)).sort()).toEqual(['plan.json', 'plan.jsonl']);
    const meta = JSON.parse(await readFile(path.join(folder, 'plan.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(meta).toMatchObject({
      campaignId,
      workflowId: `campaign-${campaignId}`,
      itemCount: 2,
      specHash: specHashOf(campaignSpecSchema().parse({ ...good, campaignId })),
    });
  });

  test('YAML gives the same campaign as the same spec in JSON', async () => {
    const json = await request(fakeClient().app).post('/campaigns').send(good);
    const yaml = await request(fakeClient().app)
      .post('/campaigns')
      .set('Content-Type', 'application/yaml; charset=utf-8')
      .send(toYaml(good));
    expect(yaml.status).toBe(202);
    expect(yaml.body.campaignId).toBe(json.body.campaignId);
  });

  test('statusUrl is absolute with PUBLIC_BASE_URL', async () => {
    const { app } = fakeClient({}, { PUBLIC_BASE_URL: 'https://api.example.test/v1' });
    const res = await request(app)
      .post('/campaigns')
      .send({ ...good, campaignId: 'mine' });
    expect(res.body.statusUrl).toBe('https://api.example.test/v1/campaigns/mine');
  });

  test('a resubmission (same id, or same spec) answers 200 with the existing campaign and starts nothing', async () => {
    const first = fakeClient();
    const res1 = await request(first.app).post('/campaigns').send(good);
    const again = await request(first.app).post('/campaigns').send(good);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ campaignId: res1.body.campaignId, existing: true, status: 'RUNNING' });
    expect(first.fake.workflow.start).toHaveBeenCalledTimes(2); // the second was refused by Temporal

    const hash = specHashOf(campaignSpecSchema().parse({ ...good, campaignId: 'named' }));
    const closed = fakeClient({ existing: { named: hash }, closed: ['named'] });
    const res = await request(closed.app)
      .post('/campaigns')
      .send({ ...good, campaignId: 'named' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ campaignId: 'named', existing: true, status: 'COMPLETED' });
  });

  test('the same campaignId with another spec is a 409', async () => {
    const { app } = fakeClient({ existing: { named: 'another-hash' } });
    const res = await request(app)
      .post('/campaigns')
      .send({ ...good, campaignId: 'named' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CAMPAIGN_ID_TAKEN');
  });

  test('with CONVERSATION_API_KEY, no bearer token is a 401 and nothing starts', async () => {
    const key = 'k'.repeat(32);
    const { app, fake } = fakeClient({}, { CONVERSATION_API_KEY: key });
    expect((await request(app).post('/campaigns').send(good)).status).toBe(401);
    expect((await request(app).get('/campaigns/demo')).status).toBe(401);
    expect((await request(app).post('/campaigns/demo/cancel')).status).toBe(401);
    expect(fake.workflow.start).not.toHaveBeenCalled();
    const ok = await request(app).post('/campaigns').set('Authorization', `Bearer ${key}`).send(good);
    expect(ok.status).toBe(202);
  });
});

describe('POST /campaigns?dryRun=true: the estimate, nothing started, only the estimate recorded', () => {
  // The campaigns started by the tests before wrote their plans.
  beforeEach(() => rm(path.join(config.OUTPUT_DIR, 'campaigns'), { recursive: true, force: true }));

  test('answers the items, calls, tokens, cost and wall time of the spec', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/campaigns?dryRun=true')
      .send({ ...good, novelty: { maxResamples: 1 }, concurrency: 2 });
    expect(res.status).toBe(200);
    const campaignId = res.body.campaignId as string;
    expect(res.body).toMatchObject({
      dryRun: true,
      campaignId,
      workflowId: `campaign-${campaignId}`,
      itemCount: 2,
      estimate: {
        items: 2,
        turns: { max: 4, expected: 4 },
        // 2 conversations × 2 turns × 2 sides, each reply asked for again at most once.
        modelCalls: { max: 16, expected: 8, bySide: { cloud: 8, local: 8, judge: 0 } },
        costUsd: { unpricedModels: expect.arrayContaining([config.OLLAMA_MODEL]) },
        wallTime: { atCapsSeconds: expect.any(Number), measuredSeconds: null },
      },
    });
    expect(res.body.estimate.tokens.max.total).toBeGreaterThan(res.body.estimate.tokens.expected.total);
    // No finished campaign ran these settings: the assumptions, said so, and recorded for the campaign after.
    expect(res.body.estimate.basis).toBe('assumptions');
    expect(res.body.estimate.assumptions.join('\n')).toContain('no finished campaign in the output store');
    expect(res.body.recorded).toBe(true);
    expect(fake.workflow.start).not.toHaveBeenCalled();
    expect(await readdir(path.join(config.OUTPUT_DIR, 'campaigns', campaignId))).toEqual(['estimate.json']);
  });

  test.each([
    ['dryRun=true&pilot=many', 'pilot', 'must be auto or a number of items'],
    ['dryRun=true&pilot=0', 'pilot', 'must be auto or a number of items, 1..'],
    ['dryRun=false&pilot=2', 'pilot', 'goes with dryRun=true'],
  ])('?%s is a 400 naming the field, nothing started', async (query, field, message) => {
    const { app, fake } = fakeClient();
    const res = await request(app).post(`/campaigns?${query}`).send(good);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect(res.body.error.message).toContain(message);
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('a pilot smaller than the pairs × grid cells is a 400 naming pilot, nothing started', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/campaigns?dryRun=true&pilot=1')
      .send({ ...good, pairs: [{}, { cloud: { temperature: 0.5 } }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('pilot: a pilot of 1 cannot hold one item of each of the spec');
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('a bad spec is still a 400 naming the field; a bad dryRun value or an unknown parameter too', async () => {
    const { app, fake } = fakeClient();
    const bad = await request(app)
      .post('/campaigns?dryRun=true')
      .send({ ...good, maxTurns: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('maxTurns');
    const value = await request(app).post('/campaigns?dryRun=yes').send(good);
    expect(value.status).toBe(400);
    expect(value.body.error.message).toContain('dryRun');
    const unknown = await request(app).post('/campaigns?dryrun=true').send(good);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('dryrun: is not a known query parameter (dryRun, pilot)');
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });
});

describe('GET /campaigns/:id', () => {
  test('the campaignStatus query and a page of its conversations from visibility', async () => {
    const { app, fake, handleFor } = fakeClient({ existing: { demo: undefined }, conversations: 7 });
    const res = await request(app).get('/campaigns/demo?offset=2&limit=3');
    expect(res.status).toBe(200);
    expect(handleFor('campaign-demo').query).toHaveBeenCalledWith(campaignStatusQuery);
    expect(res.body).toMatchObject({ ...view, workflowStatus: 'RUNNING' });
    expect(res.body.items).toEqual({
      offset: 2,
      limit: 3,
      total: 7,
      conversations: [
        {
          conversationId: 'campaign-demo-000000000002',
          itemHash: '000000000002',
          workflowStatus: 'COMPLETED',
          turns: 2,
          endReason: 'max_turns',
        },
        {
          conversationId: 'campaign-demo-000000000003',
          itemHash: '000000000003',
          workflowStatus: 'RUNNING',
          turns: 3,
        },
        {
          conversationId: 'campaign-demo-000000000004',
          itemHash: '000000000004',
          workflowStatus: 'COMPLETED',
          turns: 4,
          endReason: 'max_turns',
        },
      ],
    });
    expect(fake.workflow.list).toHaveBeenCalledWith(
      expect.objectContaining({ query: `${CAMPAIGN_ID.name} = "demo"` }),
    );
  });

  test('defaults to the first 100; without a worker, the status comes from Temporal', async () => {
    const { app } = fakeClient({ existing: { demo: undefined }, conversations: 120, noWorker: true });
    const res = await request(app).get('/campaigns/demo');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ campaignId: 'demo', status: 'running', workflowStatus: 'RUNNING' });
    expect(res.body.note).toMatch(/No worker/);
    expect(res.body.items.conversations).toHaveLength(100);
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1.5', 'offset'],
    ['limt=5', 'limt'],
  ])('?%s is a 400 naming %s', async (query, field) => {
    const { app } = fakeClient({ existing: { demo: undefined } });
    const res = await request(app).get(`/campaigns/demo?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  test('an unknown campaign is a 404; a malformed id a 400', async () => {
    const { app } = fakeClient();
    const missing = await request(app).get('/campaigns/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'NOT_FOUND', message: 'No campaign with id nope' });
    expect((await request(app).get(`/campaigns/${'a'.repeat(65)}`)).status).toBe(400);
  });
});

describe('POST /campaigns/:id/pause|resume|cancel', () => {
  test.each([
    ['pause', pauseCampaignSignal, 'paused'],
    ['resume', resumeCampaignSignal, 'running'],
    ['cancel', cancelCampaignSignal, 'cancelling'],
  ] as const)('%s sends its signal: 202', async (action, signal, status) => {
    const { app, handleFor } = fakeClient({ existing: { demo: undefined } });
    const res = await request(app).post(`/campaigns/demo/${action}`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ campaignId: 'demo', workflowId: 'campaign-demo', status });
    expect(handleFor('campaign-demo').signal).toHaveBeenCalledWith(signal);
  });

  test('an unknown campaign is a 404, a closed one a 409', async () => {
    const { app } = fakeClient({ existing: { done: undefined }, closed: ['done'] });
    expect((await request(app).post('/campaigns/nope/pause')).status).toBe(404);
    const closed = await request(app).post('/campaigns/done/cancel');
    expect(closed.status).toBe(409);
    expect(closed.body.error).toEqual({
      code: 'CAMPAIGN_FINISHED',
      message: 'Campaign done has already finished (COMPLETED)',
    });
  });
});
