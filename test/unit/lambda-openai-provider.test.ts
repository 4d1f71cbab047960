/** The Lambda's `openai` provider and its configuration, against a local fake OpenAI-compatible fake.server. */
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createOpenAiProvider, createProvider } from '../../lambda/providers';
import type { GenerateInput } from '../../lambda/providers';
import { createOpenAiClient } from '../../src/models/openai-client';
import { completionSampling, nextAnswerPrompt } from '../../src/models/base-model-prompt';
import { useFakeOpenAiServer } from '../fixtures/openai-server';

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

describe('openai provider', () => {
  const fake = useFakeOpenAiServer();

  it('answers through chat completions, the system prompt first, in Bedrock stop reasons, with the request id', async () => {
    fake.server.next({ kind: 'reply', text: ' Sure. ', finishReason: 'length' });
    const provider = createOpenAiProvider({
      client: createOpenAiClient({ baseUrl: fake.baseUrl }),
      model: 'chat-model',
      api: 'chat',
    });
    await expect(provider.generate(input, { requestId: 'req-7' })).resolves.toEqual({
      text: 'Sure.',
      model: 'chat-model',
      stopReason: 'max_tokens',
      inputTokens: 11,
      outputTokens: 7,
    });
    const [call] = fake.server.received;
    expect(call!.path).toBe('/v1/chat/completions');
    expect(call!.body).toMatchObject({
      model: 'chat-model',
      messages: [{ role: 'system', content: 'Be brief' }, ...input.messages],
      max_tokens: 32,
      temperature: 0.2,
      top_p: 0.9,
    });
    expect(call!.headers['x-request-id']).toBe('req-7');
  });

  it('continues a question-and-answer transcript through completions for a base model, and cuts the reply', async () => {
    fake.server.next({ kind: 'reply', text: ' Sure, it is. Sure, it is.\nQuestion' });
    const provider = createOpenAiProvider({
      client: createOpenAiClient({ baseUrl: fake.baseUrl }),
      model: 'base',
      api: 'completions',
    });
    await expect(provider.generate({ ...input, model: 'other-base' })).resolves.toMatchObject({
      text: 'Sure, it is.',
      model: 'other-base',
      stopReason: 'end_turn',
    });
    const { maxTokens, temperature, topP, stop } = completionSampling(input);
    expect(fake.server.received[0]!.body).toEqual({
      model: 'other-base',
      prompt: nextAnswerPrompt(input.messages, 'Be brief'),
      max_tokens: maxTokens,
      stream: false,
      temperature,
      top_p: topP,
      stop,
    });
  });

  it('ends the call at the deadline with a retryable 504, and the server sees the request go away', async () => {
    fake.server.next({ kind: 'silent' });
    const provider = createOpenAiProvider({
      client: createOpenAiClient({ baseUrl: fake.baseUrl }),
      model: 'm',
      api: 'chat',
    });
    await expect(
      provider.generate(input, { signal: AbortSignal.timeout(200), deadline: Date.now() + 200 }),
    ).rejects.toMatchObject({ statusCode: 504, retryable: true });
  });

  it('passes a 429 on as retryable, with the wait the server asked for', async () => {
    fake.server.next({ kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    const provider = createOpenAiProvider({
      client: createOpenAiClient({ baseUrl: fake.baseUrl }),
      model: 'm',
      api: 'chat',
    });
    await expect(provider.generate(input)).rejects.toMatchObject({
      statusCode: 429,
      retryable: true,
      retryAfterMs: 2000,
    });
  });

  it('is what MODEL_PROVIDER=openai builds, sending the key from the variable OPENAI_API_KEY_ENV names', async () => {
    const env = {
      MODEL_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_MODEL: 'served-model',
      OPENAI_API_KEY_ENV: 'FLEET_KEY',
      FLEET_KEY: 'sk-fleet-0123456789',
    };
    const provider = createProvider(loadLambdaConfig(env), env);
    expect(provider.name).toBe('openai');
    await provider.generate(input);
    expect(fake.server.received[0]!.body.model).toBe('served-model');
    expect(fake.server.received[0]!.headers.authorization).toBe('Bearer sk-fleet-0123456789');
  });
});

describe('Lambda configuration for the openai provider', () => {
  it('defaults to the local Ollama /v1 and chat completions', () => {
    expect(loadLambdaConfig({ MODEL_PROVIDER: 'openai' })).toMatchObject({
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      OPENAI_API: 'chat',
      OPENAI_MODEL: 'gemma3:270m',
    });
  });

  it.each([
    [{ OPENAI_API: 'responses' }, /OPENAI_API/],
    [{ OPENAI_BASE_URL: 'ftp://h/v1' }, /OPENAI_BASE_URL/],
    [{ OPENAI_API_KEY_ENV: 'sk-live-123' }, /OPENAI_API_KEY_ENV/],
    [{ OPENAI_API_KEY_ENV: 'FLEET_KEY' }, /OPENAI_API_KEY_ENV names FLEET_KEY, which is not set/],
  ])('refuses %p at cold start, naming the variable', (env, message) => {
    expect(() => loadLambdaConfig({ MODEL_PROVIDER: 'openai', ...env })).toThrow(message);
  });
});
