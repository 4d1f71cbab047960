/**
 * Detects the two models looping on near-identical text. Pure and deterministic (it runs inside the workflow):
 * normalized word-token Jaccard similarity between each new message and the few messages before it.
 */
import type { Turn } from '../../contracts/conversation';

/** Lower-cased NFKC word tokens (letters and digits, any script). */
export function tokens(text: string): Set<string> {
  return new Set(
    text
      .normalize('NFKC')
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((t) => t !== ''),
  );
}

/** |A ∩ B| / |A ∪ B| over word tokens, 0..1; texts without a word count as similar only when equal. */
export function similarity(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  if (ta.size === 0 || tb.size === 0) return a.trim() === b.trim() ? 1 : 0;
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared / (ta.size + tb.size - shared);
}

/** The conversation as one message sequence: the first query, then each turn's answer and next question. */
function messages(turns: Turn[]): string[] {
  const first = turns[0];
  return first ? [first.query, ...turns.flatMap((t) => [t.cloudResponse, t.localResponse])] : [];
}

/**
 * Whether the last turn's answer or question is at least `threshold` similar to one of the `window`
 * messages before it (either side: a model repeating itself, or one parroting the other).
 */
export function repeatsItself(turns: Turn[], threshold: number, window: number): boolean {
  if (window <= 0) return false;
  const all = messages(turns);
  for (let i = Math.max(1, all.length - 2); i < all.length; i++) {
    const current = all[i]!;
    for (let j = Math.max(0, i - window); j < i; j++) {
      if (similarity(current, all[j]!) >= threshold) return true;
    }
  }
  return false;
}
