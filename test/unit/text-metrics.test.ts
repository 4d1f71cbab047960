import { distinctTrigramShare, topWordShare, words } from '../helpers/text-metrics';

describe('reply repetition metrics', () => {
  it('splits lower-cased words, keeping inner apostrophes and digits', () => {
    expect(words("It's GPT-4's turn: 2 words, “quoted”.")).toEqual([
      "it's",
      'gpt',
      "4's",
      'turn',
      '2',
      'words',
      'quoted',
    ]);
  });

  it('measures the most frequent word’s share', () => {
    expect(topWordShare('x x x x')).toBe(1);
    expect(topWordShare('Machine learning is the study of learning machines')).toBeCloseTo(2 / 8);
    expect(topWordShare('')).toBe(0);
  });

  it('measures the share of distinct word trigrams', () => {
    expect(distinctTrigramShare('a b c d')).toBe(1);
    // "machine learning" eight times: 16 words, 14 trigrams, of which 2 differ.
    expect(distinctTrigramShare('machine learning '.repeat(8))).toBeCloseTo(2 / 14);
    expect(distinctTrigramShare('too short')).toBe(1);
  });
});
