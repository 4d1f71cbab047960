import {
  inputSchemas,
  DEFAULT_QUESTION_TEMPLATE,
  renderQuestionPrompt,
} from '../../src/contracts/conversation';
import type { Turn } from '../../src/contracts/conversation';
import { staticDetails, staticSummary, withConfigDefaults } from '../../src/conversation/start';
import { repeatsItself, similarity } from '../../src/conversation/workflows/repetition';
import { loadConfig } from '../../src/shared/config';
import { validateCampaign } from '../../src/campaign/validate';

/** The configuration's own defaults (what a fresh `.env`-less start uses). */
const config = loadConfig({});

function turns(...pairs: [string, string][]): Turn[] {
  return pairs.map(([cloudResponse, localResponse], i) => ({
    turn: i + 1,
    timestamp: '2025-01-01T00:00:00.000Z',
    query: i === 0 ? 'Tell me about machine learning' : pairs[i - 1]![1],
    cloudResponse,
    localResponse,
    processingTimeMs: 1,
    cloudModel: 'c',
    localModel: 'l',
    cloudLatencyMs: 1,
    localLatencyMs: 1,
    cloudUsage: { inputTokens: 1, outputTokens: 1 },
    localUsage: { inputTokens: 1, outputTokens: 1 },
  }));
}

describe('similarity', () => {
  test('ignores case, punctuation and word order; counts any script', () => {
    expect(similarity('Machine learning, explained!', 'explained: MACHINE learning')).toBe(1);
    expect(similarity('日本語 テキスト', '日本語 テキスト')).toBe(1);
    expect(similarity('a b c d', 'a b x y')).toBeCloseTo(2 / 6);
    expect(similarity('?', '?')).toBe(1);
    expect(similarity('?', '!')).toBe(0);
  });
});

describe('repeatsItself', () => {
  test('is false for a conversation that moves on', () => {
    const t = turns(
      ['Machine learning finds patterns in data.', 'What kinds of patterns?'],
      ['Trends, clusters and correlations.', 'How are clusters found?'],
    );
    expect(repeatsItself(t, 0.9, 4)).toBe(false);
  });

  test('catches an answer repeated from the turn before, and a question echoing the answer', () => {
    expect(
      repeatsItself(
        turns(['It depends on the data.', 'Why?'], ['It depends on the data!', 'How so?']),
        0.9,
        4,
      ),
    ).toBe(true);
    expect(repeatsItself(turns(['Models learn from examples.', 'Models learn from examples?']), 0.9, 4)).toBe(
      true,
    );
  });

  test('only looks `window` messages back, and a window of 0 turns it off', () => {
    const t = turns(
      ['Same words here.', 'Q1?'],
      ['Other text.', 'Q2?'],
      ['More text.', 'Q3?'],
      ['Same words here.', 'Q4?'],
    );
    expect(repeatsItself(t, 0.9, 6)).toBe(true);
    expect(repeatsItself(t, 0.9, 4)).toBe(false);
    expect(repeatsItself(turns(['A.', 'A.']), 0.9, 0)).toBe(false);
  });
});

describe('the novelty option', () => {
  const parse = (novelty: unknown) =>
    inputSchemas().conversationInput.safeParse({ initialQuery: 'Hi', novelty });

  test('takes false, or maxResamples 0..5 and a threshold 0.3..1, naming the bad field', () => {
    for (const ok of [
      false,
      {},
      { maxResamples: 0 },
      { maxResamples: 5, threshold: 1 },
      { threshold: 0.3 },
    ]) {
      expect(parse(ok).success).toBe(true);
    }
    const pathOf = (bad: unknown) => parse(bad).error?.issues.map((i) => i.path.join('.'));
    expect(pathOf({ maxResamples: 6 })).toEqual(['novelty.maxResamples']);
    // zod names the union itself when the number is not a whole one; the message says what it must be.
    expect(pathOf({ maxResamples: 1.5 })?.[0]).toMatch(/^novelty/);
    expect(pathOf({ threshold: 0.2 })).toEqual(['novelty.threshold']);
    expect(pathOf({ tries: 2 })).toEqual(['novelty']);
    expect(parse(true).error?.issues).toEqual([
      expect.objectContaining({
        path: ['novelty'],
        message: 'must be false, or {maxResamples?: 0..5 (a whole number), threshold?: 0.3..1}',
      }),
    ]);
  });

  test('a campaign spec names the bad field inside it', async () => {
    const result = await validateCampaign(
      { seeds: ['Hi'], pairs: [{}], novelty: { maxResamples: 9 } },
      { inputDir: '/nonexistent' },
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(['novelty.maxResamples']);
  });
});

describe('renderQuestionPrompt', () => {
  test('fills {answer} and {question} in one pass, leaving placeholders inside the values alone', () => {
    expect(
      renderQuestionPrompt('Q={question} A={answer} A2={answer}', { question: 'q {answer}', answer: '$&' }),
    ).toBe('Q=q {answer} A=$& A2=$&');
    expect(renderQuestionPrompt(DEFAULT_QUESTION_TEMPLATE, { question: 'Q?', answer: 'A.' })).toBe(
      'Previous question: Q?\n\nExpert answer:\nA.\n\nWrite one short follow-up question.',
    );
  });
});

describe('withConfigDefaults', () => {
  test('fills turns, timeout, the local model and both answer lengths from config, and an id', () => {
    const input = withConfigDefaults({ initialQuery: 'Hi' }, config);
    expect(input).toEqual({
      initialQuery: 'Hi',
      conversationId: expect.stringMatching(/^conversation-[0-9a-f-]{36}$/),
      maxTurns: 5,
      timeoutMinutes: 30,
      cloud: { maxTokens: 150 },
      local: { model: 'gemma3:270m', maxTokens: 96 },
    });
    expect(inputSchemas().conversationInput.safeParse(input).success).toBe(true);
  });

  test('keeps what the caller set', () => {
    const input = withConfigDefaults(
      { initialQuery: 'Hi', conversationId: 'x', maxTurns: 2, local: { model: 'm', maxTokens: 5 } },
      config,
    );
    expect(input).toMatchObject({ conversationId: 'x', maxTurns: 2, local: { model: 'm', maxTokens: 5 } });
  });
});

describe('Web UI summary', () => {
  test('is one line: the start of the query and the two models', () => {
    const long = `Tell me\nabout ${'very '.repeat(30)}long things`;
    const summary = staticSummary({
      initialQuery: long,
      cloud: { model: 'claude' },
      local: { model: 'gemma' },
    });
    expect(summary).not.toContain('\n');
    expect(summary).toMatch(/^"Tell me about very .{30,}…" · cloud claude ⇄ local gemma$/);
  });

  test('details list the options that were set', () => {
    const details = staticDetails({ initialQuery: 'Hi', maxTurns: 3, stopPhrases: ['bye'] });
    expect(details.split('\n')).toEqual([
      '- **initial query**: Hi',
      '- **max turns**: 3',
      '- **stop phrases**: ["bye"]',
    ]);
  });
});
