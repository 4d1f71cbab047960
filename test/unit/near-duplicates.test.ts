import {
  conversationText,
  estimatedSimilarity,
  findNearDuplicates,
  minHashSignature,
  rowsPerBand,
  shingles,
} from '../../src/campaign/dataset/near-duplicates';

/** A deterministic text of `n` distinct words drawn from `key`. */
function text(key: string, n: number): string {
  const words: string[] = [];
  let x = [...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    words.push(`w${x % 5000}`);
  }
  return words.join(' ');
}

/** `base` with every `every`-th word replaced. */
function edited(base: string, every: number): string {
  return base
    .split(' ')
    .map((w, i) => (i % every === every - 1 ? `changed${i}` : w))
    .join(' ');
}

function exactJaccard(a: string, b: string): number {
  const sa = shingles(a);
  const sb = shingles(b);
  const shared = [...sa].filter((s) => sb.has(s)).length;
  return shared / (sa.size + sb.size - shared);
}

describe('near-duplicate conversations (MinHash)', () => {
  it('shingles the normalized words five at a time', () => {
    expect([...shingles('The sky, is BLUE because of air.')]).toEqual([
      'the sky is blue because',
      'sky is blue because of',
      'is blue because of air',
    ]);
    expect([...shingles('Too short!')]).toEqual(['too short']);
    expect(shingles('...').size).toBe(0);
  });

  it('estimates the Jaccard similarity of the shingle sets', () => {
    const a = text('a', 400);
    for (const every of [3, 8, 20, 60]) {
      const b = edited(a, every);
      const estimate = estimatedSimilarity(minHashSignature(shingles(a))!, minHashSignature(shingles(b))!);
      expect(Math.abs(estimate - exactJaccard(a, b))).toBeLessThan(0.12);
    }
    expect(minHashSignature(new Set())).toBeUndefined();
  });

  it('clusters near-duplicates behind the first item, and leaves different conversations alone', () => {
    const a = text('a', 300);
    const candidates = [
      { itemHash: 'h-a', index: 0, text: a },
      { itemHash: 'h-b', index: 1, text: text('b', 300) },
      // One word in 60 changed: about 0.85 Jaccard.
      { itemHash: 'h-a2', index: 2, text: edited(a, 60) },
      { itemHash: 'h-a3', index: 3, text: a.toUpperCase().replace(/ /g, ',  ') },
      // One word in 12: about 0.4, below the default threshold.
      { itemHash: 'h-far', index: 4, text: edited(a, 12) },
      { itemHash: 'h-empty', index: 5, text: '' },
    ];
    expect(exactJaccard(a, edited(a, 60))).toBeGreaterThan(0.8);
    expect(exactJaccard(a, edited(a, 12))).toBeGreaterThan(0.35);
    const shuffled = [
      candidates[3]!,
      candidates[5]!,
      candidates[0]!,
      candidates[4]!,
      candidates[2]!,
      candidates[1]!,
    ];
    const result = findNearDuplicates(shuffled);
    expect(result.clusters).toEqual([{ keep: 'h-a', duplicates: ['h-a2', 'h-a3'] }]);
    expect(Object.fromEntries(result.nearDuplicateOf)).toEqual({ 'h-a2': 'h-a', 'h-a3': 'h-a' });
    expect(findNearDuplicates(candidates)).toEqual(result);
    expect(findNearDuplicates(candidates, { threshold: 0.3 }).clusters).toEqual([
      { keep: 'h-a', duplicates: ['h-a2', 'h-a3', 'h-far'] },
    ]);
  });

  it('cuts the signature into fewer rows per band for a lower threshold', () => {
    expect(rowsPerBand(0.8)).toBe(4);
    expect(rowsPerBand(0.95)).toBe(8);
    expect(rowsPerBand(0.3)).toBe(1);
  });

  it('joins the messages of a conversation, seed first', () => {
    expect(
      conversationText([
        { query: 'Q1', cloudResponse: 'A1', localResponse: 'Q2' },
        { query: 'Q2', cloudResponse: 'A2', localResponse: 'Q3' },
      ]),
    ).toBe('Q1\nA1\nQ2\nA2\nQ3');
  });

  it('keeps to seconds for a thousand conversations of a few hundred words', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({
      itemHash: `h${i}`,
      index: i,
      text: text(`c${i % 990}`, 250),
    }));
    const started = performance.now();
    const result = findNearDuplicates(many);
    expect(performance.now() - started).toBeLessThan(5000);
    // Items 990..999 repeat the texts of 0..9.
    expect(result.nearDuplicateOf.size).toBe(10);
    expect(result.nearDuplicateOf.get('h995')).toBe('h5');
  });
});
