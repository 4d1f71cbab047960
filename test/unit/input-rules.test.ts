/**
 * The rules every way in applies before anything runs: text the wire cannot carry (lone UTF-16 surrogates) and
 * output file names the export could not write are refused up front, with a 400 (or a CLI usage error) naming
 * the field, by the same schemas the workflow checks its input with.
 */
import pino from 'pino';
import request from 'supertest';
import { parseCliArgs } from '../../src/cli/converse';
import { chatBodySchema, promptBodySchema } from '../../src/contracts/llm-rest';
import { isWellFormedText } from '../../src/contracts/text';
import { createApp as createConversationApp } from '../../src/api/app';
import type { WorkflowClient as ConversationClient } from '../../src/shared/workflow-resource';
import { inputSchemas } from '../../src/contracts/conversation';
import { createApp as createLlmServiceApp } from '../../src/llm-service/app';
import type { LlmUpstream } from '../../src/llm-service/upstream-client';
import { loadConfig } from '../../src/shared/config';

const LONE = 'x \ud800 y';

describe('isWellFormedText', () => {
  test.each([
    ['plain text', true],
    ['emoji pairs 🤖👍🏽 and CJK 日本語', true],
    ['', true],
    ['a lone high surrogate \ud800', false],
    ['a lone low surrogate \udc00', false],
    ['pair halves reversed \ude00\ud83d', false],
    ['\ud83d', false],
  ])('%j → %s, like String.prototype.isWellFormed', (text, expected) => {
    expect(isWellFormedText(text)).toBe(expected);
    const native = (text as unknown as { isWellFormed?: () => boolean }).isWellFormed;
    if (native) expect(native.call(text)).toBe(expected);
  });
});

describe('conversation input: every free-text field must be well-formed', () => {
  const base = { initialQuery: 'Hello' };
  test.each([
    ['initialQuery', { initialQuery: LONE }],
    ['cloud.model', { ...base, cloud: { model: LONE } }],
    ['cloud.systemPrompt', { ...base, cloud: { systemPrompt: LONE } }],
    ['local.model', { ...base, local: { model: LONE } }],
    ['local.systemPrompt', { ...base, local: { systemPrompt: LONE } }],
    ['local.questionTemplate', { ...base, local: { questionTemplate: `{answer} ${LONE}` } }],
    ['stopPhrases.1', { ...base, stopPhrases: ['bye', LONE] }],
  ])('refuses a lone surrogate in %s, naming it', (field, input) => {
    const parsed = inputSchemas().conversationInput.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [field, expect.stringContaining('well-formed Unicode')],
    ]);
  });

  test('accepts astral characters (complete surrogate pairs) everywhere', () => {
    const text = 'Tell me about 🤖 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢';
    expect(
      inputSchemas().conversationInput.safeParse({
        initialQuery: text,
        cloud: { systemPrompt: text },
        local: { systemPrompt: text, questionTemplate: `${text} {answer}` },
        stopPhrases: [text],
      }).success,
    ).toBe(true);
  });
});

describe('Conversation API: refused with a 400 naming the field, nothing started', () => {
  function app() {
    const start = jest.fn();
    const client = {
      workflow: { start, getHandle: jest.fn() },
      workflowService: {},
      withDeadline: jest.fn(),
    };
    const config = { ...loadConfig({}), OUTPUT_DIR: '/nonexistent' };
    return {
      app: createConversationApp({
        client: client as unknown as ConversationClient,
        config,
        logger: pino({ level: 'silent' }),
      }),
      start,
    };
  }

  test.each([
    ['initialQuery', '{"initialQuery":"x \\ud800 y"}'],
    ['cloud.systemPrompt', '{"initialQuery":"hi","cloud":{"systemPrompt":"\\udfff"}}'],
    ['stopPhrases.0', '{"initialQuery":"hi","stopPhrases":["\\ud800"]}'],
    ['outputFile', '{"initialQuery":"hi","maxTurns":1,"outputFile":"..backup.csv"}'],
    ['outputFile', '{"initialQuery":"hi","maxTurns":1,"outputFile":"...csv"}'],
    ['outputFile', '{"initialQuery":"hi","maxTurns":1,"outputFile":"\\u002e\\u002e/x.csv"}'],
  ])('%s in %s', async (field, body) => {
    const { app: api, start } = app();
    const res = await request(api)
      .post('/conversation')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.message).toContain(`${field}: `);
    expect(start).not.toHaveBeenCalled();
  });
});

describe('LLM REST service: refused with a 400 naming the field, before any upstream call', () => {
  test.each([
    ['inputText', { inputText: LONE }],
    ['messages.0.content', { messages: [{ role: 'user', content: LONE }] }],
    ['system', { inputText: 'hi', system: LONE }],
    ['model', { inputText: 'hi', model: LONE }],
  ])('%s', async (field, body) => {
    const generate = jest.fn();
    const upstream = { generate, isReady: async () => true } as unknown as LlmUpstream;
    const res = await request(createLlmServiceApp({ upstream, logger: pino({ level: 'silent' }) }))
      .post('/api/v1/generate')
      .send(body)
      .expect(400);
    expect(res.body.error.message).toContain(`${field}: `);
    expect(res.body.error.message).toContain('well-formed Unicode');
    expect(generate).not.toHaveBeenCalled();
  });

  test('the schemas themselves (shared with the worker client) refuse them too', () => {
    expect(promptBodySchema.safeParse({ inputText: LONE }).success).toBe(false);
    expect(chatBodySchema.safeParse({ messages: [{ role: 'user', content: '🤖' }] }).success).toBe(true);
  });
});

describe('CLI', () => {
  const config = loadConfig({});
  test.each([
    [['--out', '..backup.csv'], '--out: '],
    [['--cloud-system', '\ud800'], '--cloud-system: '],
  ])('%j is a usage error naming the flag', (flags, message) => {
    expect(() => parseCliArgs(['hi', ...flags], config)).toThrow(
      expect.objectContaining({ name: 'UsageError', message: expect.stringContaining(message) }),
    );
  });

  test('a lone surrogate in the query is one too', () => {
    expect(() => parseCliArgs([LONE], config)).toThrow(expect.objectContaining({ name: 'UsageError' }));
  });
});

describe('CSV_ESCAPE_FORMULAS', () => {
  test('defaults to true; false, 0 and no turn it off; anything else stops the start naming it', () => {
    expect(loadConfig({}).CSV_ESCAPE_FORMULAS).toBe(true);
    for (const off of ['false', '0', 'no'])
      expect(loadConfig({ CSV_ESCAPE_FORMULAS: off }).CSV_ESCAPE_FORMULAS).toBe(false);
    expect(loadConfig({ CSV_ESCAPE_FORMULAS: 'true' }).CSV_ESCAPE_FORMULAS).toBe(true);
    expect(() => loadConfig({ CSV_ESCAPE_FORMULAS: 'maybe' })).toThrow(/CSV_ESCAPE_FORMULAS/);
  });
});
