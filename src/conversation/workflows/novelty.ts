/**
 * The novelty guard: a new question or answer that says again what the conversation already said is refused and
 * asked for again (each time as its own activity call, a new seed and a slightly higher temperature), up to
 * `maxResamples` times; a reply that still repeats ends the conversation as `repetition`.
 *
 * Pure and deterministic: it runs inside the workflow sandbox, on values the workflow already holds, so a replay
 * takes the same decisions. Not tuned to a model: text is compared by its words alone (Unicode-normalized,
 * case-folded, punctuation and spacing dropped), as overlapping word trigrams.
 */
import { DEFAULT_NOVELTY } from '../../contracts/conversation';
import type { NoveltyOption, NoveltySettings } from '../../contracts/conversation';
import {
  CLOUD_TEMPERATURE,
  DEFAULT_LOCAL_TEMPERATURE,
  DEFAULT_TEMPERATURE,
  LOCAL_TEMPERATURE,
} from '../../contracts/limits';

/** How much warmer each resample samples than the one before, up to the side's highest temperature. */
export const RESAMPLE_TEMPERATURE_STEP = 0.15;

/** The guard's settings for a conversation's `novelty` option; undefined when it is off. */
export function noveltySettings(option: NoveltyOption | undefined): NoveltySettings | undefined {
  if (option === false) return undefined;
  return { ...DEFAULT_NOVELTY, ...option };
}

/**
 * Letters or digits of scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar): each
 * character is a word of its own there, so their text gets trigrams too.
 */
const UNSPACED = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}`;
const WORD = new RegExp(String.raw`[${UNSPACED}]|(?:(?![${UNSPACED}])[\p{L}\p{N}\p{M}])+`, 'gu');

/** The text's words: NFKC (full-width and compatibility forms folded), lower-cased, without punctuation or spacing. */
export function normalizedWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

/** The words joined by single spaces: two texts that differ only in case, punctuation, spacing or form are equal. */
export function normalizeText(text: string): string {
  return normalizedWords(text).join(' ');
}

/** Word trigrams; a text of one or two words is one shingle of all its words. */
export function wordTrigrams(words: readonly string[]): Set<string> {
  if (words.length < 3) return new Set(words.length === 0 ? [] : [words.join(' ')]);
  const grams = new Set<string>();
  for (let i = 2; i < words.length; i++) grams.add(`${words[i - 2]} ${words[i - 1]} ${words[i]}`);
  return grams;
}

/**
 * 1 for texts equal once normalized; else the Jaccard similarity of their word trigrams. Text with no word at all
 * (only punctuation or symbols) is similar only to the same text.
 */
export function noveltySimilarity(a: string, b: string): number {
  const wa = normalizedWords(a);
  const wb = normalizedWords(b);
  if (wa.length === 0 || wb.length === 0) return a.trim() === b.trim() ? 1 : 0;
  if (wa.join(' ') === wb.join(' ')) return 1;
  return jaccard(wordTrigrams(wa), wordTrigrams(wb));
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const g of a) if (b.has(g)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * A reply whose word set is this similar (Jaccard) to an earlier message's repeats it whatever the order: the same
 * words said again in another order ("the difference between a rainbow and a butterfly", then "… a butterfly and a
 * rainbow"), which word trigrams miss, and which the dataset's repetition flag (a word-set measure) counts.
 */
export const WORD_SET_REPEAT = 0.85;
/** Fewer distinct words than this and word sets say too little ("Why?" and "Why not?"). */
const WORD_SET_MIN_WORDS = 3;

/** The Jaccard similarity of the two texts' word sets; 0 when either has fewer than WORD_SET_MIN_WORDS words. */
export function wordSetSimilarity(a: string, b: string): number {
  const wa = new Set(normalizedWords(a));
  const wb = new Set(normalizedWords(b));
  if (wa.size < WORD_SET_MIN_WORDS || wb.size < WORD_SET_MIN_WORDS) return 0;
  return jaccard(wa, wb);
}

export interface Repeat {
  /** The earlier message it repeats (its position in `earlier`). */
  index: number;
  similarity: number;
}

/**
 * The earlier message `candidate` is most similar to, when that similarity reaches `threshold` (word trigrams) or
 * WORD_SET_REPEAT (word sets).
 */
export function findRepeat(
  candidate: string,
  earlier: readonly string[],
  threshold: number = DEFAULT_NOVELTY.threshold,
): Repeat | undefined {
  let best: Repeat | undefined;
  earlier.forEach((text, index) => {
    const trigrams = noveltySimilarity(candidate, text);
    const words = wordSetSimilarity(candidate, text);
    if (trigrams < threshold && words < WORD_SET_REPEAT) return;
    const similarity = Math.max(trigrams, words);
    if (!best || similarity > best.similarity) best = { index, similarity };
  });
  return best;
}

export function isRepeat(
  candidate: string,
  earlier: readonly string[],
  threshold: number = DEFAULT_NOVELTY.threshold,
): boolean {
  return findRepeat(candidate, earlier, threshold) !== undefined;
}

export type Side = 'cloud' | 'local';

export interface ResampleSampling {
  temperature: number;
  /** A sampling seed for a model server that takes one (Ollama's `seed`): a new one for each resample. */
  seed: number;
}

/**
 * The sampling of resample `attempt` (from 1): the side's temperature (its default when the conversation sets none)
 * raised by a step per attempt, within the side's range, and a seed drawn from the conversation, turn, side and
 * attempt, so the same resample asks for the same sampling when its activity is retried.
 */
export function resampleSampling(args: {
  side: Side;
  attempt: number;
  temperature?: number;
  conversationId: string;
  turn: number;
}): ResampleSampling {
  const range = args.side === 'cloud' ? CLOUD_TEMPERATURE : LOCAL_TEMPERATURE;
  const base = args.temperature ?? (args.side === 'cloud' ? DEFAULT_TEMPERATURE : DEFAULT_LOCAL_TEMPERATURE);
  const temperature = Math.min(range.max, base + RESAMPLE_TEMPERATURE_STEP * args.attempt);
  return {
    temperature: Math.round(temperature * 1000) / 1000,
    seed:
      fnv1a(`${args.conversationId}\u0000${args.turn}\u0000${args.side}\u0000${args.attempt}`) & 0x7fffffff,
  };
}

/** FNV-1a, 32 bits: a stable digest with no Node built-in. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
