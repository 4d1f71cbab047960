/**
 * The OpenAI-compatible client and the Lambda's `openai` provider against a real server: the stack's Ollama, whose
 * `/v1` is that API, with gemma3:270m (a base model: chat completions still answer, completions are how it is
 * prompted). Failures a real server rarely gives on demand are in test/unit/openai-client.test.ts.
 */
import { createOpenAiProvider } from '../../lambda/providers/openai';
import {
  completionSampling,
  completionText,
  nextAnswerPrompt,
  STOP_SEQUENCES,
} from '../../src/models/base-model-prompt';
import { createOpenAiClient, type OpenAiClient } from '../../src/models/openai-client';
import { TestComponents } from '../helpers/components';
import { requireTool } from '../helpers/tools';

const MODEL = 'gemma3:270m';
const question = [{ role: 'user' as const, content: 'Why is the sky blue?' }];

describe('OpenAI-compatible API of the real Ollama', () => {
  let components: TestComponents;
  let client: OpenAiClient;

  beforeAll(async () => {
    requireTool('ollama');
    components = await TestComponents.create();
    await components.start('ollama');
    client = createOpenAiClient({ baseUrl: `${components.env.OLLAMA_HOST}/v1`, label: 'ollama-v1' });
  }, 120_000);
  afterAll(() => components?.stopAll());

  it('answers a chat completion with text, the model and token usage', async () => {
    const reply = await client.chat(
      {
        model: MODEL,
        messages: [{ role: 'system', content: 'Answer briefly.' }, ...question],
        maxTokens: 16,
      },
      { requestId: 'it-chat-1', deadline: Date.now() + 60_000 },
    );
    expect(reply.model).toBe(MODEL);
    expect(typeof reply.text).toBe('string');
    expect(['stop', 'length']).toContain(reply.finishReason);
    expect(reply.usage.inputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeLessThanOrEqual(16);
  }, 60_000);

  it('continues a question-and-answer transcript through completions, stopping at the next label', async () => {
    const reply = await client.complete(
      {
        model: MODEL,
        prompt: nextAnswerPrompt(question),
        ...completionSampling({ maxTokens: 48, temperature: 0.3 }),
      },
      { deadline: Date.now() + 60_000 },
    );
    expect(reply.model).toBe(MODEL);
    for (const stop of STOP_SEQUENCES) expect(reply.text).not.toContain(stop);
    expect(completionText(reply.text).length).toBeGreaterThan(0);
    expect(reply.usage.inputTokens).toBeGreaterThan(10);
    expect(reply.usage.outputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeLessThanOrEqual(48);
  }, 60_000);

  it('maps an unknown model to a permanent 404', async () => {
    await expect(
      client.chat({ model: 'no-such-model:1b', messages: question, maxTokens: 4 }),
    ).rejects.toMatchObject({ statusCode: 404, code: 'MODEL_NOT_FOUND', retryable: false });
  }, 60_000);

  it('ends a call at its deadline with a retryable timeout, and the server goes on answering', async () => {
    await expect(
      client.complete(
        { model: MODEL, prompt: nextAnswerPrompt(question), maxTokens: 2000 },
        { deadline: Date.now() + 50 },
      ),
    ).rejects.toMatchObject({ statusCode: 504, retryable: true });
    await expect(
      client.complete({ model: MODEL, prompt: nextAnswerPrompt(question), maxTokens: 4 }),
    ).resolves.toMatchObject({ model: MODEL });
  }, 60_000);

  it("serves as the Lambda's openai provider for a base model, in Bedrock's vocabulary", async () => {
    const provider = createOpenAiProvider({ client, model: MODEL, api: 'completions' });
    const out = await provider.generate(
      { messages: question, system: 'A teacher answers in two sentences.', maxTokens: 48, temperature: 0.3 },
      { requestId: 'it-lambda-1', deadline: Date.now() + 60_000 },
    );
    expect(out.text.length).toBeGreaterThan(0);
    expect(['end_turn', 'max_tokens']).toContain(out.stopReason);
    expect(out).toMatchObject({ model: MODEL });
    expect(out.inputTokens).toBeGreaterThan(10);
  }, 60_000);
});
