/** Repetition measures for model replies, to tell readable text from a model stuck in a loop. */

/** Lower-cased words: letters, digits and inner apostrophes. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
}

/** The most frequent word's share of all words (0 for no words): "x x x x" is 1. */
export function topWordShare(text: string): number {
  const all = words(text);
  const counts = new Map<string, number>();
  for (const w of all) counts.set(w, (counts.get(w) ?? 0) + 1);
  return all.length === 0 ? 0 : Math.max(...counts.values()) / all.length;
}

/** Distinct word trigrams over all word trigrams (1 below three words): a phrase said over and over is near 0. */
export function distinctTrigramShare(text: string): number {
  const all = words(text);
  const trigrams = all.slice(2).map((w, i) => `${all[i]} ${all[i + 1]} ${w}`);
  return trigrams.length === 0 ? 1 : new Set(trigrams).size / trigrams.length;
}
