import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  AccessDeniedException,
  ConverseCommand,
  InternalServerException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import type { GenerateRequest, GenerateResponse } from 'ollama';
import { createBedrockProvider, createOllamaProvider } from '../../lambda/providers';
import type { GenerateInput } from '../../lambda/providers';
import { completionOptions, DEFAULT_FRAMING, nextAnswerPrompt } from '../../src/models/base-model-prompt';
import { createOllamaClient } from '../../src/models/ollama-client';
import { FakeOllama } from '../fixtures/ollama-server';
import { BASE_TEMPLATE, ollamaClient } from '../helpers/ollama-client';
import { until } from '../helpers/wait';

const input: GenerateInput = {
  messages: [
    { role: 'user', content: 'Q1' },
    { role: 'assistant', content: 'A1' },
    { role: 'user', content: 'Q2' },
  ],
  system: 'Be brief',
  maxTokens: 32,
  temperature: 0.2,
  topP: 0.9,
};

function named(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, ...extra });
}

function connectionRefused(): Error {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
}

describe('bedrock provider', () => {
  function bedrock(send: (command: ConverseCommand) => Promise<unknown>) {
    const client = { send } as unknown as BedrockRuntimeClient;
    return createBedrockProvider({ client, modelId: 'anthropic.claude-3-haiku-20240307-v1:0' });
  }

  it('sends a Converse request and maps the reply', async () => {
    const sent: ConverseCommand[] = [];
    const provider = bedrock(async (command) => {
      sent.push(command);
      return {
        output: { message: { role: 'assistant', content: [{ text: 'Hello ' }, { text: 'there' }] } },
        stopReason: 'max_tokens',
        usage: { inputTokens: 11, outputTokens: 32, totalTokens: 43 },
      };
    });
    await expect(provider.generate(input)).resolves.toEqual({
      text: 'Hello there',
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
      stopReason: 'max_tokens',
      inputTokens: 11,
      outputTokens: 32,
    });
    expect(sent[0]).toBeInstanceOf(ConverseCommand);
    expect(sent[0]?.input).toEqual({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [
        { role: 'user', content: [{ text: 'Q1' }] },
        { role: 'assistant', content: [{ text: 'A1' }] },
        { role: 'user', content: [{ text: 'Q2' }] },
      ],
      system: [{ text: 'Be brief' }],
      inferenceConfig: { maxTokens: 32, temperature: 0.2, topP: 0.9 },
    });
  });

  it.each([
    [ThrottlingException, 429, 'THROTTLED', true],
    [ServiceUnavailableException, 503, 'UPSTREAM_UNAVAILABLE', true],
    [ModelTimeoutException, 504, 'UPSTREAM_TIMEOUT', true],
    [InternalServerException, 502, 'UPSTREAM_ERROR', true],
    [ValidationException, 400, 'INVALID_REQUEST', false],
    [AccessDeniedException, 403, 'ACCESS_DENIED', false],
    [ResourceNotFoundException, 404, 'MODEL_NOT_FOUND', false],
  ])('maps %p to %i %s (retryable %p)', async (Exception, statusCode, code, retryable) => {
    const thrown = new Exception({ message: `${Exception.name} happened`, $metadata: {} });
    const provider = bedrock(() => Promise.reject(thrown));
    await expect(provider.generate(input)).rejects.toMatchObject({
      name: 'UpstreamError',
      statusCode,
      code,
      retryable,
    });
  });

  it('maps a refused connection to a retryable 503 and unknown server faults to a retryable 502', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    await expect(bedrock(() => Promise.reject(refused)).generate(input)).rejects.toMatchObject({
      statusCode: 503,
      retryable: true,
    });
    await expect(
      bedrock(() => Promise.reject(named('WeirdException', { $fault: 'server' }))).generate(input),
    ).rejects.toMatchObject({ statusCode: 502, retryable: true });
  });
});

describe('ollama provider', () => {
  function ollama(chat: (request: unknown) => Promise<unknown>) {
    return createOllamaProvider({
      client: ollamaClient({ chat }),
      model: 'gemma3:270m',
    });
  }

  /** A provider for a model without a chat template, whose generate call answers `reply`. */
  function baseModel(reply: Partial<GenerateResponse>) {
    const show = jest.fn(async () => ({ template: BASE_TEMPLATE }));
    const generate = jest.fn(async (_request: GenerateRequest) => ({ model: 'gemma3:270m', ...reply }));
    const client = ollamaClient({ show, generate });
    return { show, generate, provider: createOllamaProvider({ client, model: 'gemma3:270m' }) };
  }

  it.each([
    ['a base model (generate)', undefined],
    ['a chat model (chat)', '{{- range .Messages }}{{ .Content }}{{ end }}'],
  ])(
    'stops the generation of %s when the deadline passes: the request is aborted and the answer is a 504',
    async (_what, template) => {
      const fake = new FakeOllama({ latencyMs: 30_000, template });
      const provider = createOllamaProvider({ client: createOllamaClient(await fake.start()), model: 'm' });
      try {
        await expect(provider.generate(input, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
          statusCode: 504,
          code: 'UPSTREAM_TIMEOUT',
          retryable: true,
        });
        await until(
          () => fake.abandoned,
          (n) => n === 1,
          { what: 'the fake Ollama to see the request go away' },
        );
      } finally {
        await fake.stop();
      }
    },
  );

  it('calls chat without streaming and maps tokens and stop reason', async () => {
    const requests: unknown[] = [];
    const provider = ollama(async (request) => {
      requests.push(request);
      return {
        model: 'gemma3:270m',
        message: { role: 'assistant', content: ' Sure. ' },
        done: true,
        done_reason: 'length',
        prompt_eval_count: 20,
        eval_count: 32,
      };
    });
    await expect(provider.generate(input)).resolves.toEqual({
      text: 'Sure.',
      model: 'gemma3:270m',
      stopReason: 'max_tokens',
      inputTokens: 20,
      outputTokens: 32,
    });
    expect(requests[0]).toEqual({
      model: 'gemma3:270m',
      stream: false,
      messages: [{ role: 'system', content: 'Be brief' }, ...input.messages],
      options: { num_predict: 32, temperature: 0.2, top_p: 0.9 },
    });
  });

  it('continues a raw question-and-answer transcript through generate for a model without a chat template', async () => {
    const { generate, provider } = baseModel({
      response: ' Sure.\n',
      done_reason: 'stop',
      prompt_eval_count: 40,
      eval_count: 3,
    });
    await expect(provider.generate(input)).resolves.toEqual({
      text: 'Sure.',
      model: 'gemma3:270m',
      stopReason: 'end_turn',
      inputTokens: 40,
      outputTokens: 3,
    });
    expect(generate.mock.calls).toEqual([
      [
        {
          model: 'gemma3:270m',
          prompt: 'Be brief\n\nQuestion: Q1\nAnswer: A1\nQuestion: Q2\nAnswer:',
          raw: true,
          stream: false,
          options: completionOptions({ maxTokens: 32, temperature: 0.2, topP: 0.9 }),
        },
        {},
      ],
    ]);
  });

  it('frames a transcript without a system prompt with the default framing, and looks the template up once', async () => {
    const { show, generate, provider } = baseModel({ response: 'Sure.', done_reason: 'length' });
    const unframed = { ...input, system: undefined };
    await expect(provider.generate(unframed)).resolves.toMatchObject({ stopReason: 'max_tokens' });
    await provider.generate(unframed);
    const prompt = generate.mock.calls[0]![0].prompt;
    expect(prompt).toBe(nextAnswerPrompt(input.messages));
    expect(prompt.startsWith(`${DEFAULT_FRAMING}\n\nQuestion: Q1\n`)).toBe(true);
    expect(show).toHaveBeenCalledTimes(1);
  });

  it('maps an unknown model, found by the template look-up, to a 404', async () => {
    const missing = Object.assign(new Error('model "x" not found'), {
      name: 'ResponseError',
      status_code: 404,
    });
    const client = ollamaClient({ show: () => Promise.reject(missing) });
    await expect(createOllamaProvider({ client, model: 'x' }).generate(input)).rejects.toMatchObject({
      statusCode: 404,
      code: 'MODEL_NOT_FOUND',
    });
  });

  it.each([
    ['connection refused', connectionRefused(), 503, true],
    [
      'a missing model',
      Object.assign(new Error('model "x" not found'), { name: 'ResponseError', status_code: 404 }),
      404,
      false,
    ],
    [
      'a server error',
      Object.assign(new Error('llama runner crashed'), { name: 'ResponseError', status_code: 500 }),
      502,
      true,
    ],
  ])('maps %s to %i', async (_name, err, statusCode, retryable) => {
    await expect(ollama(() => Promise.reject(err)).generate(input)).rejects.toMatchObject({
      name: 'UpstreamError',
      statusCode,
      retryable,
    });
  });
});
