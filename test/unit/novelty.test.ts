import { DEFAULT_NOVELTY } from '../../src/contracts/conversation';
import {
  findRepeat,
  isRepeat,
  normalizeText,
  wordSetSimilarity,
  noveltySettings,
  noveltySimilarity,
  resampleSampling,
  wordTrigrams,
} from '../../src/conversation/workflows/novelty';

describe('novelty guard: text normalization', () => {
  it('folds case, punctuation, spacing and compatibility forms', () => {
    expect(normalizeText('  Why is the SKY   blue?! ')).toBe('why is the sky blue');
    expect(normalizeText('“Why” — is the sky…\nblue')).toBe('why is the sky blue');
    // Full-width letters and a ligature fold to their plain forms (NFKC).
    expect(normalizeText('Ｗｈｙ is the ﬁeld blue')).toBe('why is the field blue');
    expect(normalizeText('Ärger über Öl')).toBe('ärger über öl');
    expect(normalizeText('?!…')).toBe('');
  });

  it('splits scripts written without spaces into one word per character', () => {
    expect(normalizeText('天空为什么是蓝色的？')).toBe('天 空 为 什 么 是 蓝 色 的');
    expect(normalizeText('GPU上で動く')).toBe('gpu 上 で 動 く');
  });

  it('makes word trigrams, or one shingle of a short text', () => {
    expect([...wordTrigrams(['a', 'b', 'c', 'd'])]).toEqual(['a b c', 'b c d']);
    expect([...wordTrigrams(['why', 'not'])]).toEqual(['why not']);
    expect(wordTrigrams([]).size).toBe(0);
  });
});

describe('novelty guard: repeats', () => {
  const seed = 'Why is the sky blue?';

  it('sees the seed asked again, whatever its case or punctuation', () => {
    expect(noveltySimilarity('why is the sky blue', seed)).toBe(1);
    expect(isRepeat('WHY is the sky blue!!', [seed])).toBe(true);
  });

  it('sees an identical answer as a repeat of the earlier one (the looping conversation of the issue)', () => {
    const earlier = [seed, 'The sky is blue because the sun is shining.', seed, 'The sun is shining.'];
    expect(findRepeat('The sun is shining.', earlier)).toEqual({ index: 3, similarity: 1 });
  });

  it('sees a question that only adds a word to an earlier one, not one that changes its subject', () => {
    expect(noveltySimilarity('So why is the sky blue?', seed)).toBeCloseTo(0.75);
    expect(isRepeat('So why is the sky blue?', [seed])).toBe(true);
    expect(noveltySimilarity('Why is the sky blue at night?', seed)).toBeCloseTo(0.6);
    expect(isRepeat('Why is the sky blue at night?', [seed])).toBe(false);
    expect(isRepeat('What makes sunsets red?', [seed])).toBe(false);
  });

  it('does not take answers on one topic for repeats', () => {
    const a =
      'Sunlight is scattered by the molecules of the air, and blue light is scattered more than red light.';
    const b =
      'At sunset the light crosses more air, so the blue is scattered away and the red light remains.';
    expect(isRepeat(b, [a])).toBe(false);
  });

  it('compares text without words only as it is', () => {
    expect(noveltySimilarity('???', '???')).toBe(1);
    expect(noveltySimilarity('???', '!!!')).toBe(0);
    expect(noveltySimilarity('???', 'Why?')).toBe(0);
  });

  it('reports the most similar earlier message; none below the threshold', () => {
    expect(findRepeat('the sky is blue', ['the sky is blue today', 'The sky is blue.'])).toEqual({
      index: 1,
      similarity: 1,
    });
    // Trigrams 1 of 3 reach the threshold; the higher of the two measures is reported (word sets: 3 of 5).
    expect(findRepeat('a b c d', ['a b c e'], 0.3)).toEqual({ index: 0, similarity: 3 / 5 });
    expect(findRepeat('a b c d', ['a b c e'])).toBeUndefined();
    expect(findRepeat('anything', [])).toBeUndefined();
  });
});

describe('novelty guard: the same words in another order', () => {
  it('takes a reordered question or answer for a repeat, as the dataset’s repetition flag counts it', () => {
    const earlier = ['What is the difference between a rainbow and a butterfly?'];
    const swapped = 'What is the difference between a butterfly and a rainbow?';
    // Word trigrams alone miss it; the word sets catch it.
    expect(noveltySimilarity(swapped, earlier[0]!)).toBeLessThan(DEFAULT_NOVELTY.threshold);
    expect(isRepeat(swapped, earlier)).toBe(true);
    expect(findRepeat('Blue sky is the blue sky.', ['Blue sky is the sky.'])).toEqual({
      index: 0,
      similarity: 1,
    });
    expect(
      wordSetSimilarity('How many light bulbs are in a house?', 'How many light bulbs are there in a house?'),
    ).toBeCloseTo(8 / 9);
    expect(
      isRepeat('How many light bulbs are in a house?', ['How many light bulbs are there in a house?']),
    ).toBe(true);
  });

  it('leaves questions on one subject and short texts alone', () => {
    expect(isRepeat('Why is the sky blue at night?', ['Why is the sky blue?'])).toBe(false);
    expect(isRepeat('What are the risks of vaccines?', ['What are the benefits of vaccines?'])).toBe(false);
    expect(wordSetSimilarity('Why not?', 'Why?')).toBe(0);
  });
});

describe('novelty guard: settings and resampling', () => {
  it('takes the defaults for unset fields, and is off with false', () => {
    expect(noveltySettings(undefined)).toEqual(DEFAULT_NOVELTY);
    expect(noveltySettings({ maxResamples: 4 })).toEqual({ ...DEFAULT_NOVELTY, maxResamples: 4 });
    expect(noveltySettings(false)).toBeUndefined();
  });

  it('samples each resample a step warmer, within the side’s range, with its own stable seed', () => {
    const at = (attempt: number, side: 'cloud' | 'local', temperature?: number) =>
      resampleSampling({ side, attempt, temperature, conversationId: 'c-1', turn: 2 });
    expect(at(1, 'local', 0.3).temperature).toBe(0.45);
    expect(at(2, 'local', 0.3).temperature).toBe(0.6);
    // Unset: the side's default temperature (local 0.8, cloud 0.7); capped at the side's highest.
    expect(at(1, 'local').temperature).toBe(0.95);
    expect(at(1, 'cloud').temperature).toBe(0.85);
    expect(at(3, 'cloud', 0.9).temperature).toBe(1);
    expect(at(5, 'local', 1.9).temperature).toBe(2);

    const seeds = [at(1, 'local').seed, at(2, 'local').seed, at(1, 'cloud').seed];
    expect(new Set(seeds).size).toBe(3);
    expect(at(1, 'local').seed).toBe(seeds[0]);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 0x7fffffff).toBe(true);
    expect(resampleSampling({ side: 'local', attempt: 1, conversationId: 'c-2', turn: 2 }).seed).not.toBe(
      seeds[0],
    );
  });
});
