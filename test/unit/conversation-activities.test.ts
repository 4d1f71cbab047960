import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ChatResponse } from 'ollama';
import { makeAskCloud } from '../../src/conversation/activities/cloud';
import type {
  AskCloudInput,
  AskCloudOutput,
  AskLocalInput,
  AskLocalOutput,
} from '../../src/conversation/activities/types';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { followUpPrompt, makeAskLocal } from '../../src/conversation/activities/local';

/** Activity failures are expected here; keep the SDK's logging of them quiet. */
const activityEnvironment = () =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

const ok = {
  response: '  An answer.  ',
  model: 'cloud-model',
  stopReason: 'end_turn',
  usage: { inputTokens: 3, outputTokens: 4 },
  latencyMs: 12,
  requestId: 'r-1',
};

function askCloudAnswering(reply: () => Promise<Response>) {
  const fetch = jest.fn(reply);
  const client = createLlmServiceClient({ baseUrl: 'http://llm.test:8080', timeoutMs: 1000, fetch });
  const askCloud = makeAskCloud({ client, maxTokens: 160 });
  const run = () =>
    activityEnvironment().run<[AskCloudInput], AskCloudOutput, typeof askCloud>(askCloud, {
      messages: [{ role: 'user', content: 'Hi' }],
      system: 'Be brief',
    });
  return { fetch, run };
}

const json = (status: number, body: unknown) => async () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('askCloud', () => {
  test('POSTs the window to /api/v1/generate and returns the trimmed answer with its start time', async () => {
    const { fetch, run } = askCloudAnswering(json(200, ok));
    const out = await run();

    expect(out).toMatchObject({
      response: 'An answer.',
      model: 'cloud-model',
      latencyMs: 12,
      requestId: 'r-1',
    });
    expect(out.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://llm.test:8080/api/v1/generate');
    expect(JSON.parse(init.body as string)).toEqual({
      messages: [{ role: 'user', content: 'Hi' }],
      system: 'Be brief',
      maxTokens: 160,
    });
  });

  test('a 4xx is a non-retryable failure', async () => {
    const { run } = askCloudAnswering(json(400, { error: { code: 'INVALID_REQUEST', message: 'bad' } }));
    await expect(run()).rejects.toMatchObject({
      type: 'CloudRequestRejected',
      nonRetryable: true,
      message: 'INVALID_REQUEST: bad',
    });
  });

  test.each([
    ['a 5xx', json(502, { error: { code: 'UPSTREAM', message: 'lambda failed' } })],
    ['a 429', json(429, { error: { code: 'THROTTLED', message: 'slow down' } })],
    ['a refused connection', () => Promise.reject(new TypeError('fetch failed'))],
    ['a malformed 200', json(200, { nope: true })],
    ['an empty answer', json(200, { ...ok, response: ' \n ' })],
  ])('%s is a retryable failure', async (_what, reply) => {
    const { run } = askCloudAnswering(reply);
    await expect(run()).rejects.toMatchObject({ name: 'ApplicationFailure', nonRetryable: false });
  });
});

describe('askLocal', () => {
  function askLocalReplying(reply: () => Promise<Partial<ChatResponse>>) {
    const chat = jest.fn(async () => (await reply()) as ChatResponse);
    const askLocal = makeAskLocal({ client: { chat }, model: 'gemma3:270m', maxTokens: 96 });
    const run = () =>
      activityEnvironment().run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, {
        question: 'Q?',
        answer: 'A.',
      });
    return { chat, run };
  }

  test('asks the local model for one follow-up question and counts its tokens', async () => {
    const { chat, run } = askLocalReplying(async () => ({
      model: 'gemma3:270m',
      message: { role: 'assistant', content: '\n What next? ' },
      prompt_eval_count: 40,
      eval_count: 6,
    }));
    const out = await run();

    expect(out).toMatchObject({
      question: 'What next?',
      model: 'gemma3:270m',
      usage: { inputTokens: 40, outputTokens: 6 },
    });
    expect(chat).toHaveBeenCalledWith(
      expect.objectContaining({
        model: 'gemma3:270m',
        stream: false,
        options: { num_predict: 96 },
        messages: [
          expect.objectContaining({ role: 'system' }),
          { role: 'user', content: followUpPrompt('Q?', 'A.') },
        ],
      }),
    );
  });

  test('an empty question is a retryable failure, never an empty cell', async () => {
    const { run } = askLocalReplying(async () => ({
      model: 'm',
      message: { role: 'assistant', content: '  ' },
    }));
    await expect(run()).rejects.toMatchObject({ type: 'EmptyModelOutput', nonRetryable: false });
  });

  test('an unknown model (404) is non-retryable; a dead server is retryable', async () => {
    const missing = Object.assign(new Error('model not found'), { name: 'ResponseError', status_code: 404 });
    await expect(askLocalReplying(() => Promise.reject(missing)).run()).rejects.toMatchObject({
      type: 'LocalRequestRejected',
      nonRetryable: true,
    });
    await expect(
      askLocalReplying(() => Promise.reject(new TypeError('fetch failed'))).run(),
    ).rejects.toMatchObject({
      type: 'LocalModelUnavailable',
      nonRetryable: false,
    });
  });
});
