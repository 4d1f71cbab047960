import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ChatResponse, GenerateRequest, GenerateResponse } from 'ollama';
import { makeAskCloud } from '../../src/conversation/activities/cloud';
import type {
  AskCloudInput,
  AskCloudOutput,
  AskLocalInput,
  AskLocalOutput,
} from '../../src/conversation/activities/types';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { makeAskLocal } from '../../src/conversation/activities/local';
import { DEFAULT_QUESTION_TEMPLATE, renderQuestionPrompt } from '../../src/contracts/conversation';
import { completionOptions, nextQuestionPrompt } from '../../src/models/base-model-prompt';
import { modelCallActivityEnvironment } from '../helpers/activity-environment';
import { BASE_TEMPLATE, ollamaClient } from '../helpers/ollama-client';

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
    modelCallActivityEnvironment().run<[AskCloudInput], AskCloudOutput, typeof askCloud>(askCloud, {
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
    const askLocal = makeAskLocal({ client: ollamaClient({ chat }), model: 'gemma3:270m', maxTokens: 96 });
    const run = () =>
      modelCallActivityEnvironment().run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, {
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
      // No MODEL_PRICES_FILE: unpriced, free.
      costUsd: 0,
      priced: false,
    });
    expect(chat).toHaveBeenCalledWith(
      expect.objectContaining({
        model: 'gemma3:270m',
        stream: false,
        options: { num_predict: 96 },
        messages: [
          expect.objectContaining({ role: 'system' }),
          {
            role: 'user',
            content: renderQuestionPrompt(DEFAULT_QUESTION_TEMPLATE, { question: 'Q?', answer: 'A.' }),
          },
        ],
      }),
      expect.objectContaining({ signal: expect.any(AbortSignal), requestId: expect.stringMatching(/:1$/) }),
    );
  });

  describe('with a base model (no chat template)', () => {
    function askBaseModel(response: string) {
      const generate = jest.fn(
        async (request: GenerateRequest) =>
          ({ model: request.model, response, prompt_eval_count: 50, eval_count: 9 }) as GenerateResponse,
      );
      const show = jest.fn(async () => ({ template: BASE_TEMPLATE }));
      const askLocal = makeAskLocal({
        client: ollamaClient({ generate, show }),
        model: 'gemma3:270m',
        maxTokens: 96,
      });
      const run = (input: Partial<AskLocalInput> = {}) =>
        modelCallActivityEnvironment().run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, {
          question: 'Q?',
          answer: 'A.',
          ...input,
        });
      return { generate, show, run };
    }

    test('continues a raw transcript through generate and keeps the first question it writes', async () => {
      const { generate, run } = askBaseModel(' What is a tree? A tree is a plant.');
      await expect(run()).resolves.toMatchObject({
        question: 'What is a tree?',
        model: 'gemma3:270m',
        usage: { inputTokens: 50, outputTokens: 9 },
      });
      expect(generate).toHaveBeenCalledWith(
        {
          model: 'gemma3:270m',
          stream: false,
          raw: true,
          prompt: nextQuestionPrompt({ exchanges: [{ question: 'Q?', answer: 'A.' }] }),
          options: completionOptions({ maxTokens: 96 }),
        },
        expect.objectContaining({ signal: expect.any(AbortSignal), requestId: expect.stringMatching(/:1$/) }),
      );
    });

    test('the persona frames the transcript and a question template stands in for each exchange', async () => {
      const { generate, run } = askBaseModel('Why?');
      await run({
        history: [{ question: 'First?', answer: 'One.' }],
        systemPrompt: 'A child talks with a scientist.',
        questionTemplate: '{answer} — so {question}',
        temperature: 1.2,
        maxTokens: 10,
      });
      expect(generate).toHaveBeenCalledWith(
        expect.objectContaining({
          prompt: 'A child talks with a scientist.\n\nOne. — so First?\nQuestion: Q?\nA. — so Q?\nQuestion:',
          options: completionOptions({ maxTokens: 10, temperature: 1.2 }),
        }),
        expect.objectContaining({ signal: expect.any(AbortSignal), requestId: expect.stringMatching(/:1$/) }),
      );
    });

    test('a resample starts the question with an opening other than the refused one’s, with its own seed', async () => {
      const { generate, run } = askBaseModel(' does the light scatter? It does.');
      const resample = {
        attempt: 1,
        seed: 42,
        asked: ['Why is the sky blue?'],
        refused: 'Why is the sky blue?',
      };
      await expect(run({ resample, temperature: 0.95 })).resolves.toMatchObject({
        question: 'What does the light scatter?',
      });
      const request = generate.mock.calls[0]![0];
      // The transcript as without the resample, the opening after it: the cached prefix stays.
      expect(request.prompt).toBe(
        `${nextQuestionPrompt({ exchanges: [{ question: 'Q?', answer: 'A.' }] })} What`,
      );
      expect(request.options).toEqual({
        ...completionOptions({ maxTokens: 96, temperature: 0.95 }),
        seed: 42,
      });
    });

    test('a resample whose completion is empty is an empty question (retried), not its opening alone', async () => {
      const { run } = askBaseModel('   ');
      const resample = { attempt: 2, seed: 7, asked: ['What?'], refused: 'What?' };
      await expect(run({ resample })).rejects.toMatchObject({ type: 'EmptyModelOutput' });
    });

    test("asks Ollama for a model's template once per model", async () => {
      const { show, run } = askBaseModel('Why?');
      await run();
      await run();
      await run({ model: 'other' });
      expect(show.mock.calls).toEqual([[{ model: 'gemma3:270m' }], [{ model: 'other' }]]);
    });

    test('a failed template look-up fails the attempt like a failed call, and is asked again next time', async () => {
      const show = jest
        .fn()
        .mockRejectedValueOnce(new TypeError('fetch failed'))
        .mockResolvedValue({ template: BASE_TEMPLATE });
      const generate = jest.fn(async () => ({ model: 'm', response: 'Why?' }) as GenerateResponse);
      const askLocal = makeAskLocal({ client: ollamaClient({ show, generate }), model: 'm', maxTokens: 9 });
      const run = () =>
        modelCallActivityEnvironment().run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, {
          question: 'Q',
          answer: 'A',
        });
      await expect(run()).rejects.toMatchObject({ type: 'LocalModelUnavailable', nonRetryable: false });
      await expect(run()).resolves.toMatchObject({ question: 'Why?' });
      expect(show).toHaveBeenCalledTimes(2);
    });
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

describe('conversation options and heartbeats', () => {
  test('askLocal uses the conversation persona, temperature, length and question template', async () => {
    const chat = jest.fn(
      async () => ({ model: 'm', message: { role: 'assistant', content: 'Why?' } }) as ChatResponse,
    );
    const askLocal = makeAskLocal({ client: ollamaClient({ chat }), model: 'gemma3:270m', maxTokens: 96 });
    await modelCallActivityEnvironment().run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, {
      question: 'Q?',
      answer: 'A.',
      model: 'other',
      systemPrompt: 'You are a child.',
      temperature: 1.2,
      maxTokens: 10,
      questionTemplate: '{answer} — so {question}',
    });
    expect(chat).toHaveBeenCalledWith(
      {
        model: 'other',
        stream: false,
        messages: [
          { role: 'system', content: 'You are a child.' },
          { role: 'user', content: 'A. — so Q?' },
        ],
        options: { num_predict: 10, temperature: 1.2 },
      },
      expect.objectContaining({ signal: expect.any(AbortSignal), requestId: expect.stringMatching(/:1$/) }),
    );
  });

  test('askCloud sends the conversation model and length', async () => {
    const fetch = jest.fn(json(200, ok));
    const client = createLlmServiceClient({ baseUrl: 'http://llm.test:8080', timeoutMs: 1000, fetch });
    const askCloud = makeAskCloud({ client, maxTokens: 160 });
    await modelCallActivityEnvironment().run<[AskCloudInput], AskCloudOutput, typeof askCloud>(askCloud, {
      messages: [{ role: 'user', content: 'Hi' }],
      model: 'claude-x',
      maxTokens: 33,
      temperature: 0.1,
    });
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toMatchObject({
      model: 'claude-x',
      maxTokens: 33,
      temperature: 0.1,
    });
  });

  test('a long model call heartbeats while it waits', async () => {
    const env = new MockActivityEnvironment(
      { heartbeatTimeoutMs: 300 },
      { logger: new DefaultLogger('ERROR') },
    );
    // The model answers once the activity has heartbeated three times while waiting for it (not after a fixed
    // 450 ms, which a busy machine could fill with fewer than three beats of the 100 ms interval).
    let heartbeats = 0;
    let threeBeats!: () => void;
    const beaten = new Promise<void>((resolve) => (threeBeats = resolve));
    env.on('heartbeat', () => {
      if (++heartbeats === 3) threeBeats();
    });
    const chat = jest.fn(async () => {
      await beaten;
      return { model: 'm', message: { role: 'assistant', content: 'Why?' } } as ChatResponse;
    });
    const askLocal = makeAskLocal({ client: ollamaClient({ chat }), model: 'm', maxTokens: 9 });
    await env.run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, { question: 'Q', answer: 'A' });
    expect(heartbeats).toBeGreaterThanOrEqual(3);
  }, 30_000);

  test('a cancelled model call ends at once as a cancellation and aborts the Ollama request', async () => {
    const env = modelCallActivityEnvironment();
    let called!: () => void;
    const inFlight = new Promise<void>((resolve) => (called = resolve));
    let signal: AbortSignal | undefined;
    const chat = jest.fn((_request: unknown, options?: { signal?: AbortSignal }) => {
      signal = options?.signal;
      called();
      return new Promise<ChatResponse>(() => undefined);
    });
    const askLocal = makeAskLocal({ client: ollamaClient({ chat }), model: 'm', maxTokens: 9 });
    const running = env.run<[AskLocalInput], AskLocalOutput, typeof askLocal>(askLocal, {
      question: 'Q',
      answer: 'A',
    });
    await inFlight; // cancel while the model call is in flight, not after a guess of when it started
    expect(signal?.aborted).toBe(false);
    env.cancel();
    await expect(running).rejects.toMatchObject({ name: 'CancelledFailure' });
    expect(signal?.aborted).toBe(true);
  });
});

describe('the LLM service client', () => {
  const request = { messages: [{ role: 'user' as const, content: 'Hi' }], maxTokens: 10 };

  test('sends the API key as a bearer token when one is configured', async () => {
    const fetch = jest.fn(json(200, ok));
    const client = createLlmServiceClient({
      baseUrl: 'http://llm.test',
      timeoutMs: 1000,
      apiKey: 'k'.repeat(20),
      fetch,
    });
    await client.generate(request);
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect((init.headers as Record<string, string>).authorization).toBe(`Bearer ${'k'.repeat(20)}`);
  });

  test.each([
    [502, { retryable: false }, false],
    [502, { retryable: true }, true],
    [502, undefined, true],
    [400, undefined, false],
    [429, undefined, true],
  ])('a %i with details %j is retryable: %s', async (status, details, retryable) => {
    const fetch = jest.fn(json(status, { error: { code: 'X', message: 'no', ...(details && { details }) } }));
    const client = createLlmServiceClient({ baseUrl: 'http://llm.test', timeoutMs: 1000, fetch });
    await expect(client.generate(request)).rejects.toMatchObject({
      name: 'UpstreamError',
      statusCode: status,
      retryable,
    });
  });
});
