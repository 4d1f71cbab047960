import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/conversation/api/app';
import type { ConversationClient } from '../../src/conversation/api/app';
import { stopSignal, transcriptQuery, WORKFLOW_TYPE } from '../../src/conversation/definitions';
import type { ConversationResult } from '../../src/conversation/definitions';

const config = {
  TEMPORAL_TASK_QUEUE: 'llm-conversations',
  CONVERSATION_MAX_TURNS: 5,
  CONVERSATION_TIMEOUT_MINUTES: 30,
  OUTPUT_DIR: '',
};

let outputDir: string;
beforeAll(async () => {
  outputDir = await mkdtemp(path.join(tmpdir(), 'conversation-api-'));
  config.OUTPUT_DIR = outputDir;
});
afterAll(async () => {
  await rm(outputDir, { recursive: true, force: true });
});

const transcript = { status: 'running', turns: [], completedTurns: 0, maxTurns: 5 };

function resultFor(id: string): ConversationResult {
  return {
    conversationId: id,
    endReason: 'max_turns',
    turns: [],
    completedTurns: 2,
    csvPath: path.join(outputDir, `${id}.csv`),
    jsonlPath: path.join(outputDir, `${id}.jsonl`),
    averageProcessingTimeMs: 1234,
  };
}

/** A stand-in for the Temporal client: conversations named `missing-*` do not exist. */
function fakeClient(status = 'RUNNING') {
  const notFound = (id: string) =>
    Promise.reject(new WorkflowNotFoundError('workflow not found', id, undefined));
  const handle = (workflowId: string) => ({
    workflowId,
    firstExecutionRunId: 'run-1',
    result: jest.fn(async () => resultFor(workflowId)),
    query: jest.fn(async () => (workflowId.startsWith('missing-') ? notFound(workflowId) : transcript)),
    signal: jest.fn(async () => (workflowId.startsWith('missing-') ? notFound(workflowId) : undefined)),
    describe: jest.fn(async () =>
      workflowId.startsWith('missing-') ? notFound(workflowId) : { runId: 'run-0', status: { name: status } },
    ),
  });
  const handles = new Map<string, ReturnType<typeof handle>>();
  const handleFor = (id: string) => handles.get(id) ?? handles.set(id, handle(id)).get(id)!;
  const fake = {
    workflow: {
      start: jest.fn(async (_type: string, options: { workflowId: string }) => handleFor(options.workflowId)),
      getHandle: jest.fn((id: string) => handleFor(id)),
    },
    workflowService: { getSystemInfo: jest.fn(async () => ({})) },
  };
  const app = createApp({
    client: fake as unknown as ConversationClient,
    config,
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
      statusUrl: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/conversation/${id}$`)),
      csvUrl: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/conversation/${id}/csv$`)),
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
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
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
  ])('refuses %s with a 400 naming the field, starting nothing', async (_what, body, field) => {
    const { app, fake } = fakeClient();
    const res = await request(app).post('/conversation').send(body);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.message).toContain(field);
    expect(fake.workflow.start).not.toHaveBeenCalled();
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
  test('answers the transcript query', async () => {
    const { app, handleFor } = fakeClient();
    const res = await request(app).get('/conversation/run-7');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ conversationId: 'run-7', ...transcript });
    expect(handleFor('run-7').query).toHaveBeenCalledWith(transcriptQuery);
  });

  test('answers 404 for an unknown id', async () => {
    const res = await request(fakeClient().app).get('/conversation/missing-1');

    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('missing-1'),
    });
  });
});

describe('POST /conversation/:id/stop', () => {
  test('sends the stop signal', async () => {
    const { app, handleFor } = fakeClient();
    const res = await request(app).post('/conversation/run-7/stop');

    expect(res.status).toBe(202);
    expect(handleFor('run-7').signal).toHaveBeenCalledWith(stopSignal);
  });

  test('answers 404 for an unknown id', async () => {
    expect((await request(fakeClient().app).post('/conversation/missing-1/stop')).status).toBe(404);
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
