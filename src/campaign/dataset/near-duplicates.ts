/**
 * Near-duplicate conversations across a campaign: MinHash signatures over each conversation's word 5-grams,
 * candidate pairs from locality-sensitive hashing (bands of the signature), kept when their estimated Jaccard
 * similarity reaches the threshold; pairs join into clusters, and every member but the first (lowest item index)
 * is `nearDuplicateOf` that first one. Pure and deterministic: the same conversations give the same clusters, so a
 * retried checkpoint writes the same bytes.
 *
 * Written here rather than taken from a package: the npm MinHash implementations draw their hash functions from
 * Math.random (so clusters would change between runs) and hash numbers, not text.
 */
import { normalizedWords } from '../../conversation/workflows/novelty';

export interface DuplicateCandidate {
  itemHash: string;
  /** The item's position in the plan: the first of a cluster is the one kept. */
  index: number;
  /** The conversation's text: its messages in order. */
  text: string;
}

export interface NearDuplicateCluster {
  /** The member with the lowest index: the one a `dedup: true` export keeps. */
  keep: string;
  /** The others, by index. */
  duplicates: string[];
}

export interface NearDuplicates {
  clusters: NearDuplicateCluster[];
  /** itemHash → the itemHash of its cluster's first member, for every member but that one. */
  nearDuplicateOf: Map<string, string>;
}

export interface NearDuplicateOptions {
  /** Estimated Jaccard similarity of the 5-gram sets at or above which two conversations are near-duplicates. */
  threshold?: number;
}

/** Common in text deduplication: 5-word shingles, near-duplicates from about 0.8 Jaccard. */
export const DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.8;
export const SHINGLE_WORDS = 5;
const HASHES = 128;

/**
 * The signature is cut into bands of this many rows; two conversations are compared when one band is the same in
 * both. The most rows (fewest candidate pairs) that still bring up, with probability 0.99, a pair 0.1 below the
 * threshold: at 0.8, 32 bands of 4 (a pair at 0.7 shares a band with probability 1 − (1 − 0.7⁴)³² ≈ 0.9998).
 */
export function rowsPerBand(threshold: number): number {
  const s = Math.max(0, threshold - 0.1);
  for (const rows of [16, 8, 4, 2]) {
    if (1 - (1 - s ** rows) ** (HASHES / rows) >= 0.99) return rows;
  }
  return 1;
}

/** The conversation's text as dataset tools compare it: every message, seed first, one after the other. */
export function conversationText(
  turns: readonly { query: string; cloudResponse: string; localResponse: string }[],
): string {
  return turns
    .flatMap((t, i) => [...(i === 0 ? [t.query] : []), t.cloudResponse, t.localResponse])
    .join('\n');
}

/** Word 5-grams of the normalized text (see novelty.ts); a shorter text is one shingle of all its words. */
export function shingles(text: string): Set<string> {
  const words = normalizedWords(text);
  if (words.length < SHINGLE_WORDS) return new Set(words.length === 0 ? [] : [words.join(' ')]);
  const result = new Set<string>();
  for (let i = SHINGLE_WORDS; i <= words.length; i++) result.add(words.slice(i - SHINGLE_WORDS, i).join(' '));
  return result;
}

/** The seeds of the hash family: a fixed sequence, so signatures are comparable across runs and processes. */
const SEEDS: Uint32Array = (() => {
  const seeds = new Uint32Array(HASHES);
  let state = 0x9e3779b9;
  for (let i = 0; i < HASHES; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    seeds[i] = mix32(state);
  }
  return seeds;
})();

/**
 * a × b modulo 2³², from two products that stay exact in a double. Not Math.imul: in some runtimes (Jest's module
 * sandbox) each call of it costs a hundred times a multiplication, and the signatures make millions.
 */
export function mul32(a: number, b: number): number {
  return ((a & 0xffff) * b + ((((a >>> 16) * b) & 0xffff) << 16)) >>> 0;
}

/** MurmurHash3's 32-bit finalizer: spreads every input bit over the output. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h = mul32(h ^ (h >>> 16), 0x85ebca6b);
  h = mul32(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = mul32(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

/** The MinHash signature: for each hash of the family, the least value over the shingles; undefined for no shingle. */
export function minHashSignature(set: ReadonlySet<string>): Uint32Array | undefined {
  if (set.size === 0) return undefined;
  const signature = new Uint32Array(HASHES).fill(0xffffffff);
  for (const shingle of set) {
    const base = fnv1a(shingle);
    for (let i = 0; i < HASHES; i++) {
      const h = mix32(base ^ SEEDS[i]!);
      if (h < signature[i]!) signature[i] = h;
    }
  }
  return signature;
}

/** The share of hashes on which two signatures agree: an estimate of the Jaccard similarity of their sets. */
export function estimatedSimilarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** A conversation's MinHash signature, to cluster with others' (see clusterSignatures). */
export function signatureOf(text: string): Uint32Array | undefined {
  return minHashSignature(shingles(text));
}

export function findNearDuplicates(
  candidates: readonly DuplicateCandidate[],
  options: NearDuplicateOptions = {},
): NearDuplicates {
  return clusterSignatures(
    candidates.map((c) => ({ itemHash: c.itemHash, index: c.index, signature: signatureOf(c.text) })),
    options,
  );
}

/** The clusters of conversations given by their signatures (undefined: a conversation without words). */
export function clusterSignatures(
  entries: readonly { itemHash: string; index: number; signature: Uint32Array | undefined }[],
  { threshold = DEFAULT_NEAR_DUPLICATE_THRESHOLD }: NearDuplicateOptions = {},
): NearDuplicates {
  const sorted = [...entries].sort((a, b) => a.index - b.index);
  const signatures = sorted.map((c) => c.signature);
  const parent = sorted.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };

  const rowCount = rowsPerBand(threshold);
  const buckets = new Map<string, number[]>();
  signatures.forEach((signature, i) => {
    if (!signature) return;
    for (let band = 0; band < HASHES / rowCount; band++) {
      const rows = signature.subarray(band * rowCount, (band + 1) * rowCount);
      const key = `${band}:${rows.join(',')}`;
      const bucket = buckets.get(key);
      if (bucket) bucket.push(i);
      else buckets.set(key, [i]);
    }
  });
  const compared = new Set<number>();
  for (const bucket of buckets.values()) {
    for (let x = 1; x < bucket.length; x++) {
      for (let y = 0; y < x; y++) {
        const i = bucket[y]!;
        const j = bucket[x]!;
        const pair = i * sorted.length + j;
        if (compared.has(pair)) continue;
        compared.add(pair);
        if (estimatedSimilarity(signatures[i]!, signatures[j]!) >= threshold) {
          const [ri, rj] = [root(i), root(j)];
          // The root is the member with the lowest index.
          if (ri !== rj) parent[Math.max(ri, rj)] = Math.min(ri, rj);
        }
      }
    }
  }

  const members = new Map<number, number[]>();
  sorted.forEach((_, i) => {
    const r = root(i);
    if (r === i) return;
    const list = members.get(r);
    if (list) list.push(i);
    else members.set(r, [i]);
  });
  const clusters: NearDuplicateCluster[] = [];
  const nearDuplicateOf = new Map<string, string>();
  for (const [r, list] of [...members].sort(([a], [b]) => a - b)) {
    const keep = sorted[r]!.itemHash;
    const duplicates = list.map((i) => sorted[i]!.itemHash);
    clusters.push({ keep, duplicates });
    for (const d of duplicates) nearDuplicateOf.set(d, keep);
  }
  return { clusters, nearDuplicateOf };
}
