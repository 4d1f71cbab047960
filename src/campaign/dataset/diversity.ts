/**
 * Diversity and collapse of generated dialogue.
 *
 * Per conversation (conversationDiversity): distinct-1/2 over its replies, the mean consecutive-turn overlap of each
 * side (the share of a reply's word trigrams already in the same side's previous reply: how much turn k+1 repeats
 * turn k), and whether it collapsed: **a conversation has collapsed when, on either side, COLLAPSE_RUN consecutive
 * overlaps in a row reach COLLAPSE_OVERLAP (two models talking drift into repeating their last reply), or when it
 * ended as `repetition` (the novelty guard could not get a new reply).**
 *
 * Per dataset and per group (pair, grid cell, seed; DiversityTally): distinct-1/2/3 over all replies of each side,
 * the compression ratio of each side's replies (their bytes over their DEFLATE size, as gzip compresses: higher is
 * more repetitive), the near-duplicate rate (the MinHash clusters of near-duplicates.ts), the collapse rate, and a
 * self-similarity across conversations: the mean word-trigram Jaccard similarity over every pair of a fixed-size
 * sample. Jaccard rather than self-BLEU: self-BLEU scores each text against all the others as references (a pass
 * over the sample per text), mixes four n-gram orders with a brevity penalty that moves with reply length, and is
 * not symmetric; the Jaccard of trigram sets is symmetric, 0..1, cheap on sets, and on the scale of the
 * near-duplicate measure (which estimates the same similarity over 5-grams).
 *
 * Words are novelty.ts's normalized words; an n-gram never crosses from one reply into the next; the seed query is
 * no reply (no model wrote it). Distinct-n is the number of distinct n-grams over the number of n-grams (0 without
 * any).
 *
 * Streaming, in bounded memory: the tally takes one conversation at a time. Distinct n-grams are counted exactly up
 * to EXACT_DISTINCT per counter, then by HyperLogLog (2^14 registers, about 0.8% standard error); compression runs
 * over pieces of COMPRESSION_PIECE bytes, each primed with the previous 32 KiB (DEFLATE's whole window), so it
 * compresses as one stream would; the self-similarity sample keeps the SAMPLE_SIZE conversations of lowest item hash
 * (the same sample in any order). A campaign's plan lists each seed's items one after another, so a seed's group is
 * closed as the next seed begins: memory grows with the pairs and grid cells, not with the seeds.
 */
import { deflateRawSync } from 'node:zlib';
import type {
  DatasetDiversity,
  GroupDiversity,
  ManifestItem,
  QualityFlags,
  SideDiversity,
} from '../../contracts/campaign';
import type { EndReason, Turn } from '../../contracts/conversation';
import { normalizedWords } from '../../conversation/workflows/novelty';
import { sideModel } from './manifest';
import { fnv1a, mix32 as imported } from './near-duplicates';
import { round } from './numbers';

export const COLLAPSE_OVERLAP = 0.5;
export const COLLAPSE_RUN = 2;
/** Conversations in each group's self-similarity sample, at most. */
export const SAMPLE_SIZE = 100;
export const EXACT_DISTINCT = 256;
export const COMPRESSION_PIECE = 128 * 1024;
const WINDOW = 32 * 1024;
const HLL_BITS = 14;
const HLL_REGISTERS = 1 << HLL_BITS;
/** 2^-rank for every rank a register can hold. */
const INVERSE_POWERS = Array.from({ length: 34 }, (_, r) => 2 ** -r);

export type ConversationDiversity = Pick<
  QualityFlags,
  'distinct1' | 'distinct2' | 'turnOverlap' | 'collapsed'
>;

/** A local binding: called millions of times, and a module loader may put a getter on each imported name. */
const mix32 = imported;

type Side = 'cloud' | 'local';
const SIDES = ['cloud', 'local'] as const;

/** Hashes of the n-grams of a list of word hashes (none when the list is shorter than n). */
export function gramHashes(words: readonly number[], n: number): number[] {
  const grams: number[] = [];
  for (let i = 0; i + n <= words.length; i++) {
    let h = mix32(0x9e3779b9 ^ n);
    for (let j = i; j < i + n; j++) h = mix32(((h << 5) | (h >>> 27)) ^ words[j]!);
    grams.push(h);
  }
  return grams;
}

/** Word trigrams as overlap and self-similarity compare them; a text of one or two words is one gram of all. */
function shingleHashes(words: readonly number[]): number[] {
  return words.length === 0 ? [] : gramHashes(words, Math.min(3, words.length));
}

const wordHashes = (text: string) => normalizedWords(text).map(fnv1a);

/** The share of `next`'s trigrams found in `previous`'s (0 for a reply without words). */
function overlap(previous: ReadonlySet<number>, next: ReadonlySet<number>): number {
  if (next.size === 0) return 0;
  let shared = 0;
  for (const g of next) if (previous.has(g)) shared++;
  return shared / next.size;
}

interface Reply {
  side: Side;
  text: string;
  words: number[];
}

/** A conversation's replies in order (each turn's answer, then its question) with their word hashes. */
function repliesOf(turns: readonly Turn[]): Reply[] {
  return turns.flatMap((t) => [
    { side: 'cloud' as const, text: t.cloudResponse, words: wordHashes(t.cloudResponse) },
    { side: 'local' as const, text: t.localResponse, words: wordHashes(t.localResponse) },
  ]);
}

function distinctOf(replies: readonly Reply[], n: number): number {
  const seen = new Set<number>();
  let total = 0;
  for (const r of replies) {
    for (const g of gramHashes(r.words, n)) {
      seen.add(g);
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

function fromReplies(replies: readonly Reply[], endReason: EndReason | undefined): ConversationDiversity {
  const turnOverlap: Record<Side, number | null> = { cloud: null, local: null };
  let collapsed = endReason === 'repetition';
  for (const side of SIDES) {
    const sets = replies.filter((r) => r.side === side).map((r) => new Set(shingleHashes(r.words)));
    const overlaps = sets.slice(1).map((set, i) => overlap(sets[i]!, set));
    if (overlaps.length === 0) continue;
    turnOverlap[side] = round(overlaps.reduce((s, o) => s + o, 0) / overlaps.length, 4);
    let run = 0;
    for (const o of overlaps) {
      run = o >= COLLAPSE_OVERLAP ? run + 1 : 0;
      if (run >= COLLAPSE_RUN) collapsed = true;
    }
  }
  return {
    distinct1: round(distinctOf(replies, 1), 4),
    distinct2: round(distinctOf(replies, 2), 4),
    turnOverlap,
    collapsed,
  };
}

export function conversationDiversity(turns: readonly Turn[], endReason?: EndReason): ConversationDiversity {
  return fromReplies(repliesOf(turns), endReason);
}

/** The number of distinct values added: exact up to EXACT_DISTINCT, then a HyperLogLog estimate. */
export class DistinctCounter {
  total = 0;
  private exact: Set<number> | undefined = new Set();
  private registers: Uint8Array | undefined;

  add(hash: number): void {
    this.total++;
    if (this.exact) {
      this.exact.add(hash);
      if (this.exact.size > EXACT_DISTINCT) {
        this.registers = new Uint8Array(HLL_REGISTERS);
        for (const h of this.exact) this.register(h);
        this.exact = undefined;
      }
    } else this.register(hash);
  }

  private register(hash: number): void {
    const index = hash >>> (32 - HLL_BITS);
    const rest = (hash << HLL_BITS) >>> 0;
    const rank = rest === 0 ? 32 - HLL_BITS + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers![index]!) this.registers![index] = rank;
  }

  distinct(): number {
    if (this.exact) return this.exact.size;
    const m = HLL_REGISTERS;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers!) {
      sum += INVERSE_POWERS[r]!;
      if (r === 0) zeros++;
    }
    let estimate = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    if (estimate <= 2.5 * m && zeros > 0) estimate = m * Math.log(m / zeros);
    else if (estimate > 2 ** 32 / 30) estimate = -(2 ** 32) * Math.log(1 - estimate / 2 ** 32);
    return Math.min(Math.round(estimate), this.total);
  }

  ratio(): number {
    return this.total === 0 ? 0 : this.distinct() / this.total;
  }
}

/** Bytes in and DEFLATE bytes out of a text given piece by piece (each reply a line). */
export class CompressedSize {
  private raw = 0;
  private compressed = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private window: Buffer | undefined;

  add(text: string): void {
    const line = `${text}\n`;
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    if (this.pendingBytes >= COMPRESSION_PIECE) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const piece = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    this.raw += piece.length;
    this.compressed += deflateRawSync(piece, this.window ? { dictionary: this.window } : {}).length;
    this.window = Buffer.from(piece.subarray(Math.max(0, piece.length - WINDOW)));
  }

  ratio(): number | null {
    this.flush();
    return this.compressed === 0 ? null : round(this.raw / this.compressed, 4);
  }
}

/** Mean Jaccard similarity of two sorted arrays of distinct values. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      shared++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  const union = a.length + b.length - shared;
  return union === 0 ? 0 : shared / union;
}

/** The `size` members of lowest rank (ties: lowest key), whatever order they come in. */
class Sample {
  private members: { rank: number; key: string; grams: Uint32Array }[] = [];
  constructor(private readonly size: number) {}

  offer(rank: number, key: string, grams: () => Uint32Array): void {
    const below = (a: { rank: number; key: string }, b: { rank: number; key: string }) =>
      a.rank < b.rank || (a.rank === b.rank && a.key < b.key);
    if (this.members.length < this.size) {
      this.members.push({ rank, key, grams: grams() });
      return;
    }
    let highest = 0;
    this.members.forEach((m, i) => {
      if (below(this.members[highest]!, m)) highest = i;
    });
    if (below({ rank, key }, this.members[highest]!)) this.members[highest] = { rank, key, grams: grams() };
  }

  meanSimilarity(): number | null {
    const m = this.members;
    if (m.length < 2) return null;
    let sum = 0;
    for (let i = 1; i < m.length; i++) for (let j = 0; j < i; j++) sum += jaccard(m[i]!.grams, m[j]!.grams);
    return round(sum / ((m.length * (m.length - 1)) / 2), 4);
  }
}

class SideTally {
  replies = 0;
  private readonly counters = [new DistinctCounter(), new DistinctCounter(), new DistinctCounter()];
  private readonly compression = new CompressedSize();

  add(reply: Reply, grams: readonly number[][]): void {
    this.replies++;
    grams.forEach((list, n) => {
      for (const g of list) this.counters[n]!.add(g);
    });
    this.compression.add(reply.text);
  }

  finish(): SideDiversity {
    const [d1, d2, d3] = this.counters.map((c) => round(c.ratio(), 4));
    return {
      replies: this.replies,
      distinct1: d1!,
      distinct2: d2!,
      distinct3: d3!,
      compressionRatio: this.compression.ratio(),
    };
  }
}

/** A group's figures but the near-duplicate rate, which needs every conversation's signature first. */
type Unfinished = Omit<GroupDiversity, 'nearDuplicateRate'> & { members: string[] };

class GroupTally {
  private readonly members: string[] = [];
  private collapsed = 0;
  private readonly sides = { cloud: new SideTally(), local: new SideTally() };
  private readonly sample = new Sample(SAMPLE_SIZE);

  add(itemHash: string, replies: readonly Reply[], grams: readonly number[][][], collapsed: boolean): void {
    this.members.push(itemHash);
    if (collapsed) this.collapsed++;
    replies.forEach((r, i) => this.sides[r.side].add(r, grams[i]!));
    this.sample.offer(Number.parseInt(itemHash.slice(0, 8), 16), itemHash, () =>
      Uint32Array.from(new Set(replies.flatMap((r) => shingleHashes(r.words)))).sort(),
    );
  }

  finish(): Unfinished {
    const conversations = this.members.length;
    return {
      conversations,
      cloud: this.sides.cloud.finish(),
      local: this.sides.local.finish(),
      selfSimilarity: this.sample.meanSimilarity(),
      collapseRate: conversations === 0 ? 0 : round(this.collapsed / conversations, 4),
      members: this.members,
    };
  }
}

function withNearDuplicates(
  { members, ...group }: Unfinished,
  nearDuplicateOf: ReadonlyMap<string, string>,
): GroupDiversity {
  const near = members.filter((m) => nearDuplicateOf.has(m)).length;
  const { conversations, cloud, local, selfSimilarity, collapseRate } = group;
  return {
    conversations,
    cloud,
    local,
    nearDuplicateRate: conversations === 0 ? 0 : round(near / conversations, 4),
    selfSimilarity,
    collapseRate,
  };
}

/** Grid values with their keys sorted: one cell, however its object was written. */
const cellKey = (grid: Record<string, string | number>) =>
  JSON.stringify(Object.fromEntries(Object.entries(grid).sort(([a], [b]) => a.localeCompare(b))));

/** Every conversation of the dataset, one at a time, in plan order (see the module's comment on seeds). */
export class DiversityTally {
  private readonly dataset = new GroupTally();
  private readonly pairs = new Map<number, { tally: GroupTally; cloudModel: string; localModel: string }>();
  private readonly cells = new Map<string, { tally: GroupTally; grid: Record<string, string | number> }>();
  private seed: { seedId: string; tally: GroupTally } | undefined;
  private readonly seeds: (Unfinished & { seedId: string })[] = [];

  /** Adds one conversation to its groups; its own figures come back. */
  add(item: ManifestItem, turns: readonly Turn[], endReason?: EndReason): ConversationDiversity {
    const replies = repliesOf(turns);
    const own = fromReplies(replies, endReason);
    const grams = replies.map((r) => [1, 2, 3].map((n) => gramHashes(r.words, n)));
    if (this.seed?.seedId !== item.seedId) {
      this.closeSeed();
      this.seed = { seedId: item.seedId, tally: new GroupTally() };
    }
    const pair =
      this.pairs.get(item.pairIndex) ??
      this.pairs
        .set(item.pairIndex, {
          tally: new GroupTally(),
          cloudModel: sideModel(item, 'cloud'),
          localModel: sideModel(item, 'local'),
        })
        .get(item.pairIndex)!;
    // A spec without a grid has one cell, the whole dataset: its figures are the dataset's (see finish).
    const gridded = Object.keys(item.grid).length > 0;
    const key = cellKey(item.grid);
    const cell = gridded
      ? (this.cells.get(key) ?? this.cells.set(key, { tally: new GroupTally(), grid: item.grid }).get(key)!)
      : undefined;
    for (const group of [this.dataset, pair.tally, this.seed.tally, ...(cell ? [cell.tally] : [])]) {
      group.add(item.itemHash, replies, grams, own.collapsed);
    }
    return own;
  }

  private closeSeed(): void {
    if (this.seed) this.seeds.push({ seedId: this.seed.seedId, ...this.seed.tally.finish() });
    this.seed = undefined;
  }

  finish(nearDuplicateOf: ReadonlyMap<string, string>): DatasetDiversity {
    this.closeSeed();
    const near = (group: Unfinished) => withNearDuplicates(group, nearDuplicateOf);
    const dataset = near(this.dataset.finish());
    return {
      sampleSize: SAMPLE_SIZE,
      dataset,
      pairs: [...this.pairs]
        .sort(([a], [b]) => a - b)
        .map(([pairIndex, p]) => ({
          pairIndex,
          cloudModel: p.cloudModel,
          localModel: p.localModel,
          ...near(p.tally.finish()),
        })),
      gridCells:
        this.cells.size === 0 && dataset.conversations > 0
          ? [{ grid: {}, ...dataset }]
          : [...this.cells.values()].map((c) => ({ grid: c.grid, ...near(c.tally.finish()) })),
      seeds: this.seeds.map(({ seedId, ...group }) => ({ seedId, ...near(group) })),
    };
  }
}
