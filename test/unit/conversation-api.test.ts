import { Metadata, status } from '@grpc/grpc-js';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/conversation/api/app';
import type { ConversationClient } from '../../src/conversation/api/app';
import {
  pauseSignal,
  resumeSignal,
  stopSignal,
  transcriptQuery,
  WORKFLOW_TYPE,
} from '../../src/conversation/definitions';
import type { ConversationResult } from '../../src/conversation/definitions';
import { END_REASON, TURNS_COMPLETED } from '../../src/conversation/search-attributes';
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
function fakeClient(status = 'RUNNING') {
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
    },
    workflowService: { getSystemInfo: jest.fn(async () => ({})) },
    withDeadline: jest.fn(<R>(_deadline: number | Date, fn: () => Promise<R>) => fn()),
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
          cloud: { maxTokens: 150 },
          local: { model: 'gemma3:270m', maxTokens: 96 },
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: '"Tell me about machine learning" · cloud (default) ⇄ local gemma3:270m',
      staticDetails: expect.stringContaining('- **max turns**: 5'),
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
