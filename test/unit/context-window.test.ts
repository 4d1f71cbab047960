/** How much of the conversation each side keeps: all of it while it fits, then cuts of the oldest half. */
import type { Turn } from '../../src/contracts/conversation';
import {
  cloudContextStart,
  estimatedTokens,
  keptFrom,
  localContextStart,
} from '../../src/conversation/workflows/context-window';
import {
  cloudRequest,
  cloudResampleRequest,
  localRequest,
  NEW_ANSWER_NOTE,
} from '../../src/conversation/workflows/turn';

/** The start each turn of a conversation of `n` items would use. */
const starts = (sizes: number[], budget: number) =>
  sizes.map((_, i) => keptFrom(sizes.slice(0, i + 1), budget));

describe('context window', () => {
  it('keeps everything while it fits', () => {
    expect(keptFrom([10, 10, 10], 30)).toBe(0);
    expect(keptFrom([], 30)).toBe(0);
  });

  it('drops the oldest half at once when the items overflow, and keeps the newest item whatever its size', () => {
    // 10 items of 10 in 100: the 11th overflows, the oldest 6 of the 11 go.
    expect(keptFrom(Array(11).fill(10), 100)).toBe(6);
    expect(keptFrom([10, 500], 100)).toBe(1);
  });

  it('moves the start only at a cut, then holds it for as many turns again as the cut kept', () => {
    const sizes = Array.from({ length: 60 }, (_, i) => 20 + ((i * 7) % 13));
    const s = starts(sizes, 400);
    const cuts = s.flatMap((start, i) => (i > 0 && start !== s[i - 1] ? [i] : []));
    expect(cuts.length).toBeGreaterThan(2);
    // Between cuts, never closer than about half of what the window holds (400 / 32 ≈ 12 items, half: 6).
    for (let k = 1; k < cuts.length; k++) expect(cuts[k]! - cuts[k - 1]!).toBeGreaterThanOrEqual(6);
    // Never backwards.
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThanOrEqual(s[i - 1]!);
  });

  it("gives each side the turns its endpoint's window holds, less the reply and the system prompt", () => {
    const turn = (n: number): Turn =>
      ({
        turn: n,
        query: 'q'.repeat(300),
        cloudResponse: 'a'.repeat(900),
        localResponse: 'q'.repeat(300),
      }) as Turn;
    const turns = Array.from({ length: 12 }, (_, i) => turn(i + 1));
    const context = { contextTokens: 4096, maxTokens: 150 };
    // 12 turns of ~416 tokens overflow 4096: a cut.
    expect(cloudContextStart({}, context, turns, 'next?')).toBeGreaterThan(0);
    expect(cloudContextStart({}, context, turns.slice(0, 3), 'next?')).toBe(0);
    expect(cloudContextStart({}, { ...context, contextTokens: 100_000 }, turns, 'next?')).toBe(0);
    // A longer reply leaves less room.
    expect(cloudContextStart({ cloud: { maxTokens: 3000 } }, context, turns.slice(0, 3), 'next?')).toBe(2);
    expect(localContextStart({}, context, turns, 'q', 'a')).toBeGreaterThan(0);
    expect(estimatedTokens('abcdef')).toBe(2);
  });
});

describe("each side's request", () => {
  const turn = (n: number): Turn =>
    ({
      turn: n,
      query: `Question ${n}?`,
      cloudResponse: `Answer ${n}.`,
      localResponse: `Question ${n + 1}?`,
    }) as Turn;
  const turns = [turn(1), turn(2), turn(3)];

  it('carries the whole conversation, append-only from one turn to the next', () => {
    const first = cloudRequest({}, turns.slice(0, 2), 'Question 3?');
    const next = cloudRequest({}, turns, 'Question 4?');
    expect(next.messages.slice(0, first.messages.length)).toEqual(first.messages);
    expect(next.messages).toHaveLength(7);
    const local = localRequest({}, 'Question 4?', 'Answer 4.', 4, turns);
    expect(local.history).toEqual(turns.map((t) => ({ question: t.query, answer: t.cloudResponse })));
    expect(localRequest({}, 'Question 1?', 'Answer 1.', 1, []).history).toBeUndefined();
  });

  it("puts the cloud resample's note after the query, leaving the system prompt and the rest as they were", () => {
    const settings = { cloud: { systemPrompt: 'Be brief.' } };
    const plain = cloudRequest(settings, turns, 'Question 4?');
    const again = cloudResampleRequest(settings, turns, 'Question 4?', { temperature: 0.9, seed: 1 });
    expect(again.system).toBe('Be brief.');
    expect(again.messages.slice(0, -1)).toEqual(plain.messages.slice(0, -1));
    expect(again.messages.at(-1)!.content).toBe(`Question 4?\n\n(${NEW_ANSWER_NOTE})`);
  });
});
