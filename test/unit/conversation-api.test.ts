import { Metadata, status } from '@grpc/grpc-js';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { RetryState, TimeoutType, TypedSearchAttributes } from '@temporalio/common';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { WorkflowClient as ConversationClient } from '../../src/shared/workflow-resource';
import {
  pauseSignal,
  resumeSignal,
  stopSignal,
  transcriptQuery,
  WORKFLOW_TYPE,
} from '../../src/contracts/conversation';
import type { ConversationResult } from '../../src/contracts/conversation';
import { RUNNING_CONVERSATIONS_QUERY } from '../../src/conversation/room-to-start';
import { END_REASON, LOCAL_MODEL, TURNS_COMPLETED } from '../../src/conversation/search-attributes';
import { loadConfig } from '../../src/shared/config';

/** The configuration's own defaults (what a fresh `.env`-less start uses). */
const config = { ...loadConfig({}), OUTPUT_DIR: '' };

let outputDir: string;
beforeAll(async () => {
  outputDir = await mkdtemp(path.join(tmpdir(), 'conversation-api-'));
  config.OUTPUT_DIR = outputDir;
});
afterAll(async () => {
  await rm(outputDir, { recursive: true, force: true });
});

const transcript = {
  status: 'running',
  paused: false,
  turns: [],
  completedTurns: 0,
  maxTurns: 5,
  deadline: '2030-01-01T00:30:00.000Z',
};

function resultFor(id: string): ConversationResult {
  return {
    conversationId: id,
    endReason: 'max_turns',
    turns: [],
    completedTurns: 2,
    maxTurns: 5,
    csvPath: path.join(outputDir, `${id}.csv`),
    jsonlPath: path.join(outputDir, `${id}.jsonl`),
    averageProcessingTimeMs: 1234,
  };
}

/**
 * A stand-in for the Temporal client. Conversations named `missing-*` do not exist; `done-*` have completed
 * (signals to them fail as "not found", like Temporal's); `noworker-*` run with no worker to answer queries.
 */
function fakeClient(status = 'RUNNING', overrides: Partial<typeof config> = {}) {
  const notFound = (id: string) =>
    Promise.reject(new WorkflowNotFoundError('workflow not found', id, undefined));
  const statusOf = (id: string) => (id.startsWith('done-') ? 'COMPLETED' : status);
  const handle = (workflowId: string) => ({
    workflowId,
    firstExecutionRunId: 'run-1',
    result: jest.fn(async () => resultFor(workflowId)),
    query: jest.fn(async () => {
      if (workflowId.startsWith('missing-')) return notFound(workflowId);
      if (workflowId.startsWith('noworker-')) throw new Error('deadline exceeded');
      return transcript;
    }),
    signal: jest.fn(async () =>
      workflowId.startsWith('missing-') || workflowId.startsWith('done-') ? notFound(workflowId) : undefined,
    ),
    describe: jest.fn(async () =>
      workflowId.startsWith('missing-')
        ? notFound(workflowId)
        : {
            runId: 'run-0',
            status: { name: statusOf(workflowId) },
            typedSearchAttributes: new TypedSearchAttributes([{ key: TURNS_COMPLETED, value: 3 }]),
          },
    ),
  });
  const handles = new Map<string, ReturnType<typeof handle>>();
  const handleFor = (id: string) => handles.get(id) ?? handles.set(id, handle(id)).get(id)!;
  const fake = {
    workflow: {
      start: jest.fn(async (_type: string, options: { workflowId: string }) => handleFor(options.workflowId)),
      getHandle: jest.fn((id: string) => handleFor(id)),
      count: jest.fn(async (_query?: string) => ({ count: 0, groups: [] })),
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

describe('POST /conversation', () => {
  test('starts the workflow and answers 202 with where to follow it', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/conversation')
      .send({ initialQuery: 'Tell me about machine learning' });

    expect(res.status).toBe(202);
    const id = res.body.conversationId as string;
    expect(id).toMatch(/^conversation-[0-9a-f-]{36}$/);
    expect(res.body).toEqual({
      conversationId: id,
      workflowId: id,
      runId: 'run-1',
      status: 'RUNNING',
      statusUrl: `/conversation/${id}`,
      csvUrl: `/conversation/${id}/csv`,
    });
    expect(fake.workflow.start).toHaveBeenCalledWith(WORKFLOW_TYPE, {
      taskQueue: 'llm-conversations',
      workflowId: id,
      args: [
        {
          initialQuery: 'Tell me about machine learning',
          conversationId: id,
          maxTurns: 5,
          timeoutMinutes: 30,
          cloud: { maxTokens: 150 },
          local: { model: 'gemma3:270m', maxTokens: 96 },
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: '"Tell me about machine learning" · cloud (default) ⇄ local gemma3:270m',
      staticDetails: expect.stringContaining('- **max turns**: 5'),
      typedSearchAttributes: [
        { key: LOCAL_MODEL, value: 'gemma3:270m' },
        { key: TURNS_COMPLETED, value: 0 },
      ],
    });
  });

  test('uses a given conversationId as the workflow id', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/conversation')
      .send({ initialQuery: 'Hi', conversationId: 'my-run-1', maxTurns: 2, outputFile: 'runs/a.csv' });

    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe('my-run-1');
    expect(fake.workflow.start.mock.calls[0]?.[1]).toMatchObject({
      workflowId: 'my-run-1',
      args: [{ initialQuery: 'Hi', conversationId: 'my-run-1', maxTurns: 2, outputFile: 'runs/a.csv' }],
    });
  });

  test('starting a finished id again answers 202 with the existing run instead of running it twice', async () => {
    const { app, fake } = fakeClient('COMPLETED');
    fake.workflow.start.mockRejectedValueOnce(
      new WorkflowExecutionAlreadyStartedError('already started', 'my-run-1', WORKFLOW_TYPE),
    );
    const res = await request(app)
      .post('/conversation')
      .send({ initialQuery: 'Hi', conversationId: 'my-run-1' });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ workflowId: 'my-run-1', runId: 'run-0', status: 'COMPLETED' });
  });

  test.each([
    ['an empty body', {}, 'initialQuery'],
    ['a non-string initialQuery', { initialQuery: 42 }, 'initialQuery'],
    ['a blank initialQuery', { initialQuery: '   ' }, 'initialQuery'],
    ['a too long initialQuery', { initialQuery: 'x'.repeat(8001) }, 'initialQuery'],
    ['an outputFile leaving the folder', { initialQuery: 'Hi', outputFile: '../x.csv' }, 'outputFile'],
    ['an absolute outputFile', { initialQuery: 'Hi', outputFile: '/etc/x.csv' }, 'outputFile'],
    ['an outputFile that is not .csv', { initialQuery: 'Hi', outputFile: 'x.sh' }, 'outputFile'],
    ['maxTurns 0', { initialQuery: 'Hi', maxTurns: 0 }, 'maxTurns'],
    ['maxTurns 201', { initialQuery: 'Hi', maxTurns: 201 }, 'maxTurns'],
    ['an unsafe conversationId', { initialQuery: 'Hi', conversationId: '../etc' }, 'conversationId'],
    ['an unknown field', { initialQuery: 'Hi', maxTurn: 3 }, 'maxTurn'],
    ['a backslash in outputFile', { initialQuery: 'Hi', outputFile: 'a\\b.csv' }, 'outputFile'],
    ['a NUL in outputFile', { initialQuery: 'Hi', outputFile: 'a\u0000.csv' }, 'outputFile'],
    ['a cloud temperature over 1', { initialQuery: 'Hi', cloud: { temperature: 1.5 } }, 'cloud.temperature'],
    ['an unknown cloud option', { initialQuery: 'Hi', cloud: { topK: 3 } }, 'topK'],
    ['a local model that is blank', { initialQuery: 'Hi', local: { model: ' ' } }, 'local.model'],
    [
      'a question template without {answer}',
      { initialQuery: 'Hi', local: { questionTemplate: 'Ask something' } },
      'local.questionTemplate',
    ],
    [
      'a repetition threshold under 0.5',
      { initialQuery: 'Hi', repetitionThreshold: 0.1 },
      'repetitionThreshold',
    ],
    ['stop phrases that are not strings', { initialQuery: 'Hi', stopPhrases: [1] }, 'stopPhrases'],
    ['a negative delay', { initialQuery: 'Hi', delayBetweenTurnsMs: -1 }, 'delayBetweenTurnsMs'],
    ['a zero timeout', { initialQuery: 'Hi', timeoutMinutes: 0 }, 'timeoutMinutes'],
    [
      'a transcript too large to carry',
      { initialQuery: 'Hi', maxTurns: 200, cloud: { maxTokens: 8192 } },
      'maxTurns',
    ],
  ])('refuses %s with a 400 naming the field, starting nothing', async (_what, body, field) => {
    const { app, fake } = fakeClient();
    const res = await request(app).post('/conversation').send(body);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.message).toContain(field);
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('passes every option through, filling only what config defaults', async () => {
    const { app, fake } = fakeClient();
    const body = {
      initialQuery: 'Hi',
      conversationId: 'opts-1',
      maxTurns: 7,
      timeoutMinutes: 2,
      delayBetweenTurnsMs: 500,
      cloud: { model: 'c', systemPrompt: 'Be a pirate', temperature: 0.3, maxTokens: 50 },
      local: {
        model: 'l',
        systemPrompt: 'Be a child',
        temperature: 1.2,
        maxTokens: 20,
        questionTemplate: '{answer}?',
      },
      stopPhrases: ['bye'],
      repetitionThreshold: 0.8,
      repetitionWindow: 2,
    };
    expect((await request(app).post('/conversation').send(body)).status).toBe(202);
    expect(fake.workflow.start.mock.calls[0]?.[1]).toMatchObject({
      args: [body],
      staticSummary: '"Hi" · cloud c ⇄ local l',
    });
  });

  test('refuses a body over the size limit with 413', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/conversation')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ initialQuery: 'x'.repeat(300 * 1024) }));

    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('answers 503, not 500, when Temporal cannot be reached', async () => {
    const { app, fake } = fakeClient();
    fake.workflow.start.mockRejectedValueOnce(
      Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
        code: status.UNAVAILABLE,
        details: 'No connection established',
        metadata: new Metadata(),
      }),
    );
    const res = await request(app).post('/conversation').send({ initialQuery: 'Hi' });

    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('TEMPORAL_UNAVAILABLE');
  });

  test('refuses a body that is not JSON', async () => {
    const { app, fake } = fakeClient();
    const res = await request(app)
      .post('/conversation')
      .set('Content-Type', 'application/json')
      .send('{oops');

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_JSON');
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('?wait=true answers with the result, like the original blocking call', async () => {
    const { app } = fakeClient();
    const res = await request(app)
      .post('/conversation?wait=true')
      .send({ initialQuery: 'Hi', conversationId: 'w-1' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      conversationId: 'w-1',
      status: 'COMPLETED',
      turns: 2,
      averageProcessingTimeMs: 1234,
      conversation: [],
      endReason: 'max_turns',
    });
  });
});

describe('GET /conversation/:id', () => {
  test('answers the transcript query while the conversation runs', async () => {
    const { app, handleFor } = fakeClient();
    const res = await request(app).get('/conversation/run-7');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ conversationId: 'run-7', workflowStatus: 'RUNNING', ...transcript });
    expect(handleFor('run-7').query).toHaveBeenCalledWith(transcriptQuery);
  });

  test('answers a completed conversation from its result, with no worker needed', async () => {
    const { app, handleFor } = fakeClient();
    const res = await request(app).get('/conversation/done-1');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      conversationId: 'done-1',
      workflowStatus: 'COMPLETED',
      status: 'completed',
      paused: false,
      turns: [],
      completedTurns: 2,
      maxTurns: 5,
      endReason: 'max_turns',
      csvPath: path.join(outputDir, 'done-1.csv'),
      jsonlPath: path.join(outputDir, 'done-1.jsonl'),
    });
    expect(handleFor('done-1').query).not.toHaveBeenCalled();
  });

  test('says where the transcript went when the requested name could not be written, and why', async () => {
    const { app, handleFor } = fakeClient();
    handleFor('done-4').result.mockResolvedValue({
      ...resultFor('done-4'),
      requestedOutputFile: 'lnk/x.csv',
      exportNote: 'lnk is a symlink; the transcript was written to done-4.csv instead',
    });
    const res = await request(app).get('/conversation/done-4');

    expect(res.body).toMatchObject({
      csvPath: path.join(outputDir, 'done-4.csv'),
      requestedOutputFile: 'lnk/x.csv',
      exportNote: expect.stringContaining('symlink'),
    });
  });

  test('falls back to what Temporal knows when no worker answers the query', async () => {
    const { app } = fakeClient();
    const res = await request(app).get('/conversation/noworker-1');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      conversationId: 'noworker-1',
      workflowStatus: 'RUNNING',
      status: 'running',
      completedTurns: 3,
      turns: null,
      note: expect.stringContaining('worker'),
    });
  });

  test('shows the end reason of a run that closed otherwise, from its search attributes', async () => {
    const { app, handleFor } = fakeClient('TERMINATED');
    const handle = handleFor('noworker-2');
    handle.describe.mockResolvedValueOnce({
      runId: 'run-0',
      status: { name: 'TERMINATED' },
      typedSearchAttributes: new TypedSearchAttributes([
        { key: TURNS_COMPLETED, value: 1 },
        { key: END_REASON, value: 'error' },
      ]),
    });
    const res = await request(app).get('/conversation/noworker-2');

    expect(res.body).toMatchObject({ status: 'terminated', completedTurns: 1, endReason: 'error' });
  });

  test('answers 404 for an unknown id', async () => {
    const res = await request(fakeClient().app).get('/conversation/missing-1');

    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('missing-1'),
    });
  });

  test('answers 400 for an id that cannot be a conversation id', async () => {
    const res = await request(fakeClient().app).get('/conversation/..%2Fetc');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('conversation id');
  });
});

describe.each([
  ['stop', stopSignal, 'stopping'],
  ['pause', pauseSignal, 'paused'],
  ['resume', resumeSignal, 'running'],
])('POST /conversation/:id/%s', (action, signal, status) => {
  test(`sends the ${action} signal`, async () => {
    const { app, handleFor } = fakeClient();
    const res = await request(app).post(`/conversation/run-7/${action}`);

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ conversationId: 'run-7', status });
    expect(handleFor('run-7').signal).toHaveBeenCalledWith(signal);
  });

  test('answers 404 for an unknown id', async () => {
    const res = await request(fakeClient().app).post(`/conversation/missing-1/${action}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  test('answers 409 for a conversation that has already finished', async () => {
    const res = await request(fakeClient().app).post(`/conversation/done-1/${action}`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'CONVERSATION_FINISHED',
      message: expect.stringContaining('COMPLETED'),
    });
  });
});

describe('GET /conversation/:id/csv', () => {
  test('streams the CSV of a finished conversation', async () => {
    await writeFile(path.join(outputDir, 'done-1.csv'), 'timestamp,query\r\n');
    const res = await request(fakeClient('COMPLETED').app).get('/conversation/done-1/csv');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.text).toBe('timestamp,query\r\n');
  });

  test('a CSV in a folder of the output store is served; a path that leaves it is refused', async () => {
    const { app, handleFor } = fakeClient('COMPLETED');
    await mkdir(path.join(outputDir, 'runs'), { recursive: true });
    await writeFile(path.join(outputDir, 'runs', 'done-2.csv'), 'inside\r\n');
    handleFor('done-2').result.mockResolvedValue({
      ...resultFor('done-2'),
      csvPath: path.join(outputDir, 'runs', 'done-2.csv'),
    });
    handleFor('done-3').result.mockResolvedValue({
      ...resultFor('done-3'),
      csvPath: path.join(outputDir, '..', 'elsewhere.csv'),
    });

    expect((await request(app).get('/conversation/done-2/csv')).text).toBe('inside\r\n');
    expect((await request(app).get('/conversation/done-3/csv')).status).toBe(404);
  });

  test.each([
    ['still running', 'RUNNING', 'run-1'],
    ['unknown', 'COMPLETED', 'missing-1'],
    ['finished, but its file is gone', 'COMPLETED', 'gone-1'],
  ])('answers 404 when the conversation is %s', async (_what, status, id) => {
    expect((await request(fakeClient(status).app).get(`/conversation/${id}/csv`)).status).toBe(404);
  });
});

describe('health, readiness, metrics', () => {
  test('/health is always up', async () => {
    expect((await request(fakeClient().app).get('/health')).body).toEqual({ status: 'ok' });
  });

  test('/ready reflects whether Temporal answers', async () => {
    const { app, fake } = fakeClient();
    expect((await request(app).get('/ready')).status).toBe(200);
    fake.workflowService.getSystemInfo.mockRejectedValueOnce(new Error('connection refused'));
    const res = await request(app).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('NOT_READY');
  });

  test('/metrics serves Prometheus text', async () => {
    const res = await request(fakeClient().app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('conversation_api_http_request_duration_seconds');
  });
});

/* Exposure (issue 11): authentication, limits, URLs, what bodies the state-changing routes take. */

const apiKey = 'conversation-key-0123456789';
const stateChanging = [
  '/conversation',
  '/conversation/run-7/stop',
  '/conversation/run-7/pause',
  '/conversation/run-7/resume',
];

describe('bearer key (CONVERSATION_API_KEY)', () => {
  const guarded: [method: 'get' | 'post', path: string][] = [
    ['post', '/conversation'],
    ['post', '/conversation?wait=true'],
    ['get', '/conversation/run-7'],
    ['get', '/conversation/done-1/csv'],
    ['post', '/conversation/run-7/stop'],
    ['post', '/conversation/run-7/pause'],
    ['post', '/conversation/run-7/resume'],
    ['get', '/metrics'],
    ['get', '/no-such-route'],
  ];

  test.each(guarded)(
    '%s %s without the key answers 401 with a Bearer challenge, touching nothing',
    async (method, route) => {
      const { app, fake, handleFor } = fakeClient('RUNNING', { CONVERSATION_API_KEY: apiKey });
      const agent = request(app);
      const res = await (method === 'post'
        ? agent.post(route).send({ initialQuery: 'Hi' })
        : agent.get(route));

      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="conversation-api"');
      expect(res.body).toEqual({
        error: { code: 'UNAUTHORIZED', message: expect.stringContaining('CONVERSATION_API_KEY') },
      });
      expect(fake.workflow.start).not.toHaveBeenCalled();
      expect(handleFor('run-7').signal).not.toHaveBeenCalled();
      expect(handleFor('run-7').query).not.toHaveBeenCalled();
    },
  );

  test.each([
    ['a wrong key', `Bearer ${'x'.repeat(apiKey.length)}`],
    ['a prefix of the key', `Bearer ${apiKey.slice(0, 16)}`],
    ['the key with more after it', `Bearer ${apiKey}x`],
    ['the key in another scheme', `Basic ${apiKey}`],
    ['the bare key', apiKey],
  ])('refuses %s with 401', async (_what, authorization) => {
    const { app, fake } = fakeClient('RUNNING', { CONVERSATION_API_KEY: apiKey });
    const res = await request(app)
      .post('/conversation')
      .set('Authorization', authorization)
      .send({ initialQuery: 'Hi' });

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="conversation-api"/);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('a wrong token is told so in the challenge', async () => {
    const { app } = fakeClient('RUNNING', { CONVERSATION_API_KEY: apiKey });
    const res = await request(app).get('/conversation/run-7').set('Authorization', 'Bearer nope');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="conversation-api", error="invalid_token"');
  });

  test('accepts the key on every route', async () => {
    const { app } = fakeClient('RUNNING', { CONVERSATION_API_KEY: apiKey });
    const auth = `Bearer ${apiKey}`;
    expect(
      (await request(app).post('/conversation').set('Authorization', auth).send({ initialQuery: 'Hi' }))
        .status,
    ).toBe(202);
    expect((await request(app).get('/conversation/run-7').set('Authorization', auth)).status).toBe(200);
    expect((await request(app).post('/conversation/run-7/stop').set('Authorization', auth)).status).toBe(202);
    expect((await request(app).get('/metrics').set('authorization', `bearer ${apiKey}`)).status).toBe(200);
  });

  test('/health and /ready stay open for probes', async () => {
    const { app } = fakeClient('RUNNING', { CONVERSATION_API_KEY: apiKey });
    expect((await request(app).get('/health')).status).toBe(200);
    expect((await request(app).get('/ready')).status).toBe(200);
  });

  test('without a key configured, no header is needed', async () => {
    expect((await request(fakeClient().app).post('/conversation').send({ initialQuery: 'Hi' })).status).toBe(
      202,
    );
  });
});

describe('URLs in responses', () => {
  test('never come from the Host header: relative when PUBLIC_BASE_URL is unset', async () => {
    const res = await request(fakeClient().app)
      .post('/conversation')
      .set('Host', 'evil.example:666')
      .set('X-Forwarded-Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .send({ initialQuery: 'Hi', conversationId: 'url-1' });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ statusUrl: '/conversation/url-1', csvUrl: '/conversation/url-1/csv' });
    expect(JSON.stringify(res.body)).not.toContain('evil');
  });

  test('point at PUBLIC_BASE_URL when it is set (a path prefix kept, a trailing slash dropped)', async () => {
    const { PUBLIC_BASE_URL } = loadConfig({ PUBLIC_BASE_URL: 'https://llm.example.org/api/' });
    const res = await request(fakeClient('RUNNING', { PUBLIC_BASE_URL }).app)
      .post('/conversation')
      .set('Host', 'evil.example:666')
      .send({ initialQuery: 'Hi', conversationId: 'url-2' });

    expect(res.body).toMatchObject({
      statusUrl: 'https://llm.example.org/api/conversation/url-2',
      csvUrl: 'https://llm.example.org/api/conversation/url-2/csv',
    });
  });

  test('?wait=true answers with the same URLs', async () => {
    const res = await request(fakeClient().app)
      .post('/conversation?wait=true')
      .set('Host', 'evil.example:666')
      .send({ initialQuery: 'Hi', conversationId: 'url-3' });
    expect(res.body.statusUrl).toBe('/conversation/url-3');
  });
});

describe('state-changing routes take JSON only', () => {
  const simpleTypes = ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'];

  test.each(stateChanging.flatMap((route) => simpleTypes.map((type) => [route, type] as const)))(
    'POST %s with Content-Type %s and an empty body answers 415, starting or signalling nothing',
    async (route, type) => {
      const { app, fake, handleFor } = fakeClient();
      const res = await request(app).post(route).set('Content-Type', type);

      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(fake.workflow.start).not.toHaveBeenCalled();
      expect(handleFor('run-7').signal).not.toHaveBeenCalled();
    },
  );

  test.each(stateChanging)('POST %s with a form body answers 415', async (route) => {
    const { app, fake, handleFor } = fakeClient();
    const res = await request(app)
      .post(route)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('initialQuery=hi');

    expect(res.status).toBe(415);
    expect(fake.workflow.start).not.toHaveBeenCalled();
    expect(handleFor('run-7').signal).not.toHaveBeenCalled();
  });

  test.each(stateChanging)('POST %s with a body but no Content-Type answers 415', async (route) => {
    const { app, fake, handleFor } = fakeClient();
    const server = app.listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      // Raw HTTP: supertest would add a Content-Type of its own to a body.
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: route, method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
        req.end('{"initialQuery":"hi"}');
      });
      expect(status).toBe(415);
    } finally {
      server.close();
    }
    expect(fake.workflow.start).not.toHaveBeenCalled();
    expect(handleFor('run-7').signal).not.toHaveBeenCalled();
  });

  test('a bodyless POST with no Content-Type (curl -X POST) is an empty JSON object', async () => {
    const { app, handleFor } = fakeClient();
    expect((await request(app).post('/conversation/run-7/stop')).status).toBe(202);
    expect(handleFor('run-7').signal).toHaveBeenCalledWith(stopSignal);
    const start = await request(app).post('/conversation');
    expect(start.status).toBe(400);
    expect(start.body.error.message).toContain('initialQuery');
  });

  test('application/json with a charset is fine', async () => {
    const res = await request(fakeClient().app)
      .post('/conversation')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ initialQuery: 'Hi' }));
    expect(res.status).toBe(202);
  });
});

describe('cross-site browser requests', () => {
  test.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ['an Origin of another site', { Origin: 'https://evil.example' }],
    ['Origin: null', { Origin: 'null' }],
  ])('a bodyless POST with %s (fetch no-cors, sendBeacon) answers 403', async (_what, headers) => {
    const { app, handleFor } = fakeClient();
    for (const route of stateChanging) {
      const res = await request(app).post(route).set(headers);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('CROSS_SITE_REQUEST');
    }
    expect(handleFor('run-7').signal).not.toHaveBeenCalled();
  });

  test.each([
    ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': 'same-origin' }],
    ['Sec-Fetch-Site: none (typed by the user)', { 'Sec-Fetch-Site': 'none' }],
    ['an Origin that is this host', { Origin: 'http://api.local:8081', Host: 'api.local:8081' }],
  ])('a POST with %s passes', async (_what, headers) => {
    expect((await request(fakeClient().app).post('/conversation/run-7/stop').set(headers)).status).toBe(202);
  });

  test('reads are not refused', async () => {
    const res = await request(fakeClient().app)
      .get('/conversation/run-7')
      .set('Sec-Fetch-Site', 'cross-site');
    expect(res.status).toBe(200);
  });
});

describe('per-client rate limit (CONVERSATION_API_RATE_LIMIT_PER_MINUTE)', () => {
  test('the default is 120 per minute; 0 turns it off', () => {
    expect(loadConfig({}).CONVERSATION_API_RATE_LIMIT_PER_MINUTE).toBe(120);
    expect(
      loadConfig({ CONVERSATION_API_RATE_LIMIT_PER_MINUTE: '0' }).CONVERSATION_API_RATE_LIMIT_PER_MINUTE,
    ).toBe(0);
    expect(() => loadConfig({ CONVERSATION_API_RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(
      /CONVERSATION_API_RATE_LIMIT_PER_MINUTE/,
    );
  });

  test('past the limit: 429 with Retry-After and the error body, on every route but /health and /ready', async () => {
    const { app, fake } = fakeClient('RUNNING', { CONVERSATION_API_RATE_LIMIT_PER_MINUTE: 3 });
    for (let i = 0; i < 3; i++) expect((await request(app).get('/conversation/run-7')).status).toBe(200);

    const res = await request(app).post('/conversation').send({ initialQuery: 'Hi' });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers['ratelimit-policy']).toBe('3;w=60');
    expect(res.body).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringContaining('3 per minute') },
    });
    expect(fake.workflow.start).not.toHaveBeenCalled();
    expect((await request(app).post('/conversation/run-7/stop')).status).toBe(429);

    expect((await request(app).get('/health')).status).toBe(200);
    expect((await request(app).get('/ready')).status).toBe(200);
  });

  test('requests without the key count too, so guessing keys is limited as well', async () => {
    const { app } = fakeClient('RUNNING', {
      CONVERSATION_API_RATE_LIMIT_PER_MINUTE: 2,
      CONVERSATION_API_KEY: apiKey,
    });
    expect((await request(app).get('/conversation/run-7')).status).toBe(401);
    expect((await request(app).get('/conversation/run-7').set('Authorization', 'Bearer guess')).status).toBe(
      401,
    );
    const res = await request(app).get('/conversation/run-7').set('Authorization', `Bearer ${apiKey}`);
    expect(res.status).toBe(429);
  });

  test('X-Forwarded-For is ignored by default: a client cannot give itself a fresh budget', async () => {
    const { app } = fakeClient('RUNNING', { CONVERSATION_API_RATE_LIMIT_PER_MINUTE: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await request(app).get('/conversation/run-7').set('X-Forwarded-For', `203.0.113.${i}`)).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  test('behind a trusted proxy (CONVERSATION_API_TRUST_PROXY) each forwarded client has its own budget', async () => {
    const { CONVERSATION_API_TRUST_PROXY } = loadConfig({ CONVERSATION_API_TRUST_PROXY: 'loopback' });
    const { app } = fakeClient('RUNNING', {
      CONVERSATION_API_RATE_LIMIT_PER_MINUTE: 1,
      CONVERSATION_API_TRUST_PROXY,
    });
    const from = (ip: string) => request(app).get('/conversation/run-7').set('X-Forwarded-For', ip);
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.2')).status).toBe(200);
    expect((await from('203.0.113.1')).status).toBe(429);
  });

  test('with 0, there is no limit', async () => {
    const { app } = fakeClient('RUNNING', { CONVERSATION_API_RATE_LIMIT_PER_MINUTE: 0 });
    const server = app.listen(0, '127.0.0.1');
    try {
      for (let i = 0; i < 130; i++)
        expect((await request(server).get('/conversation/run-7')).status).toBe(200);
    } finally {
      server.close();
    }
  });
});

describe('running conversations cap (CONVERSATION_MAX_RUNNING)', () => {
  function atCapacity(running: number, max: number) {
    const client = fakeClient('RUNNING', { CONVERSATION_MAX_RUNNING: max });
    client.fake.workflow.count.mockResolvedValue({ count: running, groups: [] });
    return client;
  }

  test('the default is 1000; 0 turns it off', () => {
    expect(loadConfig({}).CONVERSATION_MAX_RUNNING).toBe(1000);
    expect(loadConfig({ CONVERSATION_MAX_RUNNING: '0' }).CONVERSATION_MAX_RUNNING).toBe(0);
  });

  test('counts running conversationWorkflow executions through Temporal visibility', async () => {
    const { app, fake } = atCapacity(4, 5);
    expect((await request(app).post('/conversation').send({ initialQuery: 'Hi' })).status).toBe(202);
    expect(fake.workflow.count).toHaveBeenCalledWith(RUNNING_CONVERSATIONS_QUERY);
    expect(RUNNING_CONVERSATIONS_QUERY).toBe(
      `WorkflowType = "${WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`,
    );
  });

  test.each([
    ['a new conversation', {}],
    ['a new conversation with its own id', { conversationId: 'missing-new-1' }],
  ])('at the cap, %s gets 429 with Retry-After, and nothing starts', async (_what, extra) => {
    const { app, fake } = atCapacity(5, 5);
    const res = await request(app)
      .post('/conversation?wait=true')
      .send({ initialQuery: 'Hi', ...extra });

    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toEqual({
      error: { code: 'TOO_MANY_RUNNING', message: expect.stringContaining('5 conversations are running') },
    });
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });

  test('at the cap, starting an id that exists still answers with that run', async () => {
    const { app, fake } = atCapacity(7, 5);
    fake.workflow.start.mockRejectedValueOnce(
      new WorkflowExecutionAlreadyStartedError('already started', 'done-9', WORKFLOW_TYPE),
    );
    const res = await request(app)
      .post('/conversation')
      .send({ initialQuery: 'Hi', conversationId: 'done-9' });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ workflowId: 'done-9', runId: 'run-0', status: 'COMPLETED' });
  });

  test('with 0, Temporal is not asked', async () => {
    const { app, fake } = atCapacity(10_000, 0);
    expect((await request(app).post('/conversation').send({ initialQuery: 'Hi' })).status).toBe(202);
    expect(fake.workflow.count).not.toHaveBeenCalled();
  });

  test('answers 503 when Temporal cannot count', async () => {
    const { app, fake } = fakeClient();
    fake.workflow.count.mockRejectedValueOnce(
      Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
        code: status.UNAVAILABLE,
        details: 'No connection established',
        metadata: new Metadata(),
      }),
    );
    const res = await request(app).post('/conversation').send({ initialQuery: 'Hi' });
    expect(res.status).toBe(503);
    expect(fake.workflow.start).not.toHaveBeenCalled();
  });
});

describe('POST /conversation?wait=true with a run that did not go well', () => {
  test('a conversation ended by a failing activity is a normal result: 200 with endReason and error', async () => {
    const { app, handleFor } = fakeClient();
    handleFor('fail-1').result.mockResolvedValueOnce({
      ...resultFor('fail-1'),
      endReason: 'error',
      completedTurns: 1,
      error: { type: 'CloudRequestRejected', message: 'model not found' },
    });
    const res = await request(app)
      .post('/conversation?wait=true')
      .send({ initialQuery: 'Hi', conversationId: 'fail-1' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      conversationId: 'fail-1',
      status: 'COMPLETED',
      turns: 1,
      endReason: 'error',
      error: { type: 'CloudRequestRejected', message: 'model not found' },
    });
  });

  test.each([
    [
      'failed',
      new WorkflowFailedError(
        'Workflow execution failed',
        ApplicationFailure.nonRetryable('output path is outside OUTPUT_DIR', 'InvalidOutputPath'),
        RetryState.NON_RETRYABLE_FAILURE,
      ),
      'FAILED',
      { type: 'InvalidOutputPath', message: 'output path is outside OUTPUT_DIR' },
    ],
    [
      'cancelled',
      new WorkflowFailedError(
        'Workflow execution cancelled',
        new CancelledFailure('Workflow canceled'),
        RetryState.NON_RETRYABLE_FAILURE,
      ),
      'CANCELLED',
      { type: 'CancelledFailure', message: 'Workflow canceled' },
    ],
    [
      'terminated',
      new WorkflowFailedError(
        'by an operator',
        new TerminatedFailure('by an operator'),
        RetryState.NON_RETRYABLE_FAILURE,
      ),
      'TERMINATED',
      { type: 'TerminatedFailure', message: 'by an operator' },
    ],
    [
      'timed out',
      new WorkflowFailedError(
        'Workflow execution timed out',
        new TimeoutFailure('Workflow execution timed out', undefined, TimeoutType.START_TO_CLOSE),
        RetryState.TIMEOUT,
      ),
      'TIMED_OUT',
      { type: 'TimeoutFailure', message: 'Workflow execution timed out' },
    ],
  ])(
    'a run that %s answers 200 with its close status and why, never 500',
    async (_what, failure, closeStatus, error) => {
      const { app, handleFor } = fakeClient();
      const handle = handleFor('closed-1');
      handle.result.mockRejectedValueOnce(failure);
      handle.describe.mockResolvedValueOnce({
        runId: 'run-0',
        status: { name: closeStatus },
        typedSearchAttributes: new TypedSearchAttributes([
          { key: TURNS_COMPLETED, value: 2 },
          { key: END_REASON, value: 'cancelled' },
        ]),
      });
      const res = await request(app)
        .post('/conversation?wait=true')
        .send({ initialQuery: 'Hi', conversationId: 'closed-1' });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        conversationId: 'closed-1',
        workflowId: 'closed-1',
        runId: 'run-1',
        status: closeStatus,
        statusUrl: '/conversation/closed-1',
        csvUrl: '/conversation/closed-1/csv',
        turns: 2,
        endReason: 'cancelled',
        error,
      });
    },
  );

  test('when Temporal cannot say how far the failed run got, the answer is still 200', async () => {
    const { app, handleFor } = fakeClient();
    const handle = handleFor('closed-2');
    handle.result.mockRejectedValueOnce(
      new WorkflowFailedError(
        'failed',
        ApplicationFailure.nonRetryable('bad input', 'InvalidInput'),
        RetryState.NON_RETRYABLE_FAILURE,
      ),
    );
    handle.describe.mockRejectedValueOnce(new Error('connection reset'));
    const res = await request(app)
      .post('/conversation?wait=true')
      .send({ initialQuery: 'Hi', conversationId: 'closed-2' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'FAILED', turns: 0, error: { type: 'InvalidInput' } });
    expect(res.body.endReason).toBeUndefined();
  });

  test('Temporal unreachable while waiting is a 503', async () => {
    const { app, handleFor } = fakeClient();
    handleFor('lost-1').result.mockRejectedValueOnce(
      Object.assign(new Error('14 UNAVAILABLE'), {
        code: status.UNAVAILABLE,
        details: '',
        metadata: new Metadata(),
      }),
    );
    const res = await request(app)
      .post('/conversation?wait=true')
      .send({ initialQuery: 'Hi', conversationId: 'lost-1' });
    expect(res.status).toBe(503);
  });
});

describe('security headers', () => {
  test.each([
    ['GET /health', (app: ReturnType<typeof fakeClient>['app']) => request(app).get('/health')],
    ['a 404', (app: ReturnType<typeof fakeClient>['app']) => request(app).get('/nope')],
    [
      'a 202',
      (app: ReturnType<typeof fakeClient>['app']) =>
        request(app).post('/conversation').send({ initialQuery: 'Hi' }),
    ],
  ])('%s carries helmet headers and no X-Powered-By', async (_what, send) => {
    const res = await send(fakeClient().app);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });
});
