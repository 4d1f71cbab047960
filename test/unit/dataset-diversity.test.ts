/**
 * The dataset's diversity and collapse measures and the curate rules, each against values worked out by hand on
 * small texts (the comments show the sums).
 */
import { deflateRawSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import type { CampaignManifest, ManifestItem } from '../../src/contracts/campaign';
import { datasetCard } from '../../src/campaign/dataset/card';
import type { Turn } from '../../src/contracts/conversation';
import { curationSummary, droppedBy, type CurateFacts } from '../../src/campaign/dataset/curate';
import {
  COMPRESSION_PIECE,
  CompressedSize,
  conversationDiversity,
  DistinctCounter,
  DiversityTally,
  EXACT_DISTINCT,
} from '../../src/campaign/dataset/diversity';
import { mix32 } from '../../src/campaign/dataset/near-duplicates';

/** Turns with only what the measures read: each turn's answer and question. */
const turns = (pairs: [cloud: string, local: string][]): Turn[] =>
  pairs.map(
    ([cloudResponse, localResponse], i) =>
      ({ turn: i + 1, query: 'seed', cloudResponse, localResponse }) as Turn,
  );

const item = (itemHash: string, index: number, seedId: string, pairIndex: number): ManifestItem => ({
  itemHash,
  index,
  conversationId: `c-${itemHash}`,
  seedId,
  pairIndex,
  grid: {},
  repeat: 0,
  state: 'completed',
});

describe('per conversation', () => {
  test('distinct-1 and distinct-2 over the replies, n-grams not crossing from one reply into the next', () => {
    // Words: [the cat sat on the mat] [the dog sat]: 9 unigrams, 6 distinct (the, cat, sat, on, mat, dog).
    // Bigrams: the-cat cat-sat sat-on on-the the-mat | the-dog dog-sat: 7, all distinct.
    const d = conversationDiversity(turns([['The cat sat on the mat.', 'The dog sat?']]));
    expect(d.distinct1).toBe(0.6667);
    expect(d.distinct2).toBe(1);
    expect(d.turnOverlap).toEqual({ cloud: null, local: null });
    expect(d.collapsed).toBe(false);
  });

  test('consecutive-turn overlap: the share of a reply’s trigrams already in the side’s previous reply', () => {
    // Cloud: {abc, bcd} → {abc, bce}: 1 of 2 = 0.5; {abc, bce} → {xyz}: 0. Mean 0.25.
    // Local: "q" three times (one gram of all its words each): 1 and 1, mean 1, twice running ≥ 0.5: collapsed.
    const d = conversationDiversity(
      turns([
        ['a b c d', 'q'],
        ['a b c e', 'q'],
        ['x y z', 'q'],
      ]),
    );
    expect(d.turnOverlap).toEqual({ cloud: 0.25, local: 1 });
    expect(d.collapsed).toBe(true);
  });

  test('one overlap at the threshold is no collapse; two in a row, or an end as repetition, is', () => {
    // Cloud overlaps 0.5, 0, 0.5 ({xyz} → {xyz, yzw}): never twice running; mean 1/3.
    const once = turns([
      ['a b c d', 'one'],
      ['a b c e', 'two'],
      ['x y z', 'three'],
      ['x y z w', 'four'],
    ]);
    expect(conversationDiversity(once).turnOverlap.cloud).toBe(0.3333);
    expect(conversationDiversity(once).collapsed).toBe(false);
    expect(conversationDiversity(once, 'repetition').collapsed).toBe(true);
  });
});

describe('counters', () => {
  test('distinct values are exact up to EXACT_DISTINCT, then within 2% (HyperLogLog)', () => {
    const small = new DistinctCounter();
    for (const v of [1, 2, 2, 3, 3, 3]) small.add(mix32(v));
    expect([small.distinct(), small.total, small.ratio()]).toEqual([3, 6, 0.5]);

    const exact = new DistinctCounter();
    for (let i = 0; i < EXACT_DISTINCT; i++) exact.add(mix32(i));
    expect(exact.distinct()).toBe(EXACT_DISTINCT);

    const large = new DistinctCounter();
    for (let i = 0; i < 200_000; i++) large.add(mix32(i % 100_000));
    expect(large.total).toBe(200_000);
    expect(Math.abs(large.distinct() - 100_000) / 100_000).toBeLessThan(0.02);
  });

  test('compression ratio: bytes over DEFLATE bytes, one piece as deflate compresses it, many pieces as one stream', () => {
    const one = new CompressedSize();
    for (const line of ['x y z', 'x y z', 'k l m']) one.add(line);
    const text = Buffer.from('x y z\nx y z\nk l m\n');
    expect(one.ratio()).toBeCloseTo(text.length / deflateRawSync(text).length, 4);

    // Three pieces of varied lines: within 1% of compressing the whole text at once.
    const lines = Array.from(
      { length: 12_000 },
      (_, i) => `Line ${i}: value ${mix32(i) % 1000} of ${i % 37}.`,
    );
    const whole = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    expect(whole.length).toBeGreaterThan(2 * COMPRESSION_PIECE);
    const pieces = new CompressedSize();
    for (const l of lines) pieces.add(l);
    const single = whole.length / deflateRawSync(whole).length;
    expect(Math.abs(pieces.ratio()! - single) / single).toBeLessThan(0.01);
    expect(new CompressedSize().ratio()).toBeNull();
  });
});

describe('per dataset and group', () => {
  // A and B say the same answer; C says other things. A, B have seed s1, C seed s2; A and C are pair 0, B pair 1.
  const conversations: [ManifestItem, Turn[]][] = [
    [item('aaaa00000001', 0, 's1', 0), turns([['x y z', 'p q r']])],
    [item('bbbb00000002', 1, 's1', 1), turns([['x y z', 's t u']])],
    [item('cccc00000003', 2, 's2', 0), turns([['k l m', 'n o p']])],
  ];
  const tally = new DiversityTally();
  for (const [i, t] of conversations) tally.add(i, t);
  const d = tally.finish(new Map([['bbbb00000002', 'aaaa00000001']]));

  test('distinct-1/2/3 per side over all replies', () => {
    // Cloud: x y z x y z k l m: 9 unigrams, 6 distinct; bigrams xy yz xy yz kl lm: 4 of 6; trigrams 2 of 3.
    expect(d.dataset.cloud).toMatchObject({
      replies: 3,
      distinct1: 0.6667,
      distinct2: 0.6667,
      distinct3: 0.6667,
    });
    // Local: p q r s t u n o p: 8 of 9 unigrams; every bigram and trigram distinct.
    expect(d.dataset.local).toMatchObject({ replies: 3, distinct1: 0.8889, distinct2: 1, distinct3: 1 });
  });

  test('compression ratio per side', () => {
    const cloud = Buffer.from('x y z\nx y z\nk l m\n');
    expect(d.dataset.cloud.compressionRatio).toBeCloseTo(cloud.length / deflateRawSync(cloud).length, 4);
  });

  test('self-similarity: mean trigram Jaccard over the pairs of the sample', () => {
    // A {xyz, pqr}, B {xyz, stu}, C {klm, nop}: J(A,B) = 1/3, J(A,C) = J(B,C) = 0; mean 1/9.
    expect(d.dataset.selfSimilarity).toBe(0.1111);
    expect(d.seeds.map((s) => [s.seedId, s.conversations, s.selfSimilarity])).toEqual([
      ['s1', 2, 0.3333],
      ['s2', 1, null],
    ]);
    expect(d.pairs.map((p) => [p.pairIndex, p.conversations, p.selfSimilarity])).toEqual([
      [0, 2, 0],
      [1, 1, null],
    ]);
  });

  test('near-duplicate and collapse rates per group', () => {
    expect(d.dataset).toMatchObject({ conversations: 3, nearDuplicateRate: 0.3333, collapseRate: 0 });
    expect(d.seeds.map((s) => s.nearDuplicateRate)).toEqual([0.5, 0]);
    expect(d.pairs.map((p) => p.nearDuplicateRate)).toEqual([0, 1]);
    expect(d.gridCells).toHaveLength(1);

    const collapsing = new DiversityTally();
    collapsing.add(item('aaaa00000001', 0, 's1', 0), turns([['a', 'b']]), 'repetition');
    collapsing.add(item('bbbb00000002', 1, 's1', 0), turns([['a', 'b']]));
    expect(collapsing.finish(new Map()).dataset.collapseRate).toBe(0.5);
  });
});

describe('curate', () => {
  const facts = (over: Partial<CurateFacts> = {}): CurateFacts => ({
    turns: 4,
    quality: {
      emptyReplies: 0,
      truncatedReplies: 0,
      maxRepetition: 0.3,
      turnOverlap: { cloud: 0.1, local: 0.2 },
    },
    nearDuplicate: false,
    judgeScore: 7,
    ...over,
  });
  const quality = (over: Partial<CurateFacts['quality']>) => ({ quality: { ...facts().quality, ...over } });

  test.each([
    ['minTurns', { minTurns: 5 }, facts(), ['minTurns']],
    ['minTurns met', { minTurns: 4 }, facts(), []],
    ['maxRepetition', { maxRepetition: 0.25 }, facts(), ['maxRepetition']],
    [
      'maxConsecutiveOverlap, either side',
      { maxConsecutiveOverlap: 0.15 },
      facts(),
      ['maxConsecutiveOverlap'],
    ],
    [
      'maxConsecutiveOverlap, no pair of turns',
      { maxConsecutiveOverlap: 0 },
      facts(quality({ turnOverlap: { cloud: null, local: null } })),
      [],
    ],
    ['dropEmpty', { dropEmpty: true }, facts(quality({ emptyReplies: 1 })), ['dropEmpty']],
    ['dropEmpty off', { dropEmpty: false }, facts(quality({ emptyReplies: 1 })), []],
    ['dropTruncated', { dropTruncated: true }, facts(quality({ truncatedReplies: 2 })), ['dropTruncated']],
    [
      'dropNearDuplicates',
      { dropNearDuplicates: true },
      facts({ nearDuplicate: true }),
      ['dropNearDuplicates'],
    ],
    ['minJudgeScore', { minJudgeScore: 8 }, facts(), ['minJudgeScore']],
    ['minJudgeScore, no score', { minJudgeScore: 1 }, facts({ judgeScore: null }), ['minJudgeScore']],
    [
      'several rules, in their order',
      { minJudgeScore: 8, minTurns: 5 },
      facts(),
      ['minTurns', 'minJudgeScore'],
    ],
  ] as const)('%s', (_what, rules, f, expected) => {
    expect(droppedBy(rules, f)).toEqual(expected);
  });

  test('the summary counts kept, dropped and each rule', () => {
    expect(curationSummary([[], ['minTurns'], ['minTurns', 'dropEmpty'], []])).toEqual({
      candidates: 4,
      kept: 2,
      dropped: 2,
      byRule: { minTurns: 2, dropEmpty: 1 },
    });
  });
});

describe('the dataset card', () => {
  test('lists each model once, whichever sides ran it', () => {
    const manifest = {
      formatVersion: 1,
      campaignId: 'c',
      workflowId: 'campaign-c',
      status: 'completed',
      spec: {},
      startedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:01:00.000Z',
      counts: { pending: 0, running: 0, completed: 1, failed: 0, skipped: 0 },
      totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, turns: 0 },
      byModel: {},
      items: [],
      provenance: {
        packageVersion: '0.1.0',
        temporalNamespace: 'default',
        models: [
          { side: 'cloud', model: 'gemma3:270m' },
          { side: 'local', model: 'gemma3:270m' },
        ],
      },
    } as CampaignManifest;
    const card = datasetCard(manifest, {
      configs: [{ name: 'default', splits: [['train', 'conversations.parquet']] }],
      rows: 1,
      shardRows: 5000,
      nearDuplicates: { count: 0, leftOut: false },
    });
    const header = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as { models: string[] };
    expect(header.models).toEqual(['gemma3:270m']);
  });
});
