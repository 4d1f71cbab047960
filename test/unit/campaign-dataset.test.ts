/** The dataset writers' pure parts: the judge's score parsing, quality flags, roles, shard names, the card's size. */
import { parseVerdict } from '../../src/campaign/dataset/judge';
import { qualityFlags } from '../../src/campaign/dataset/quality';
import { cloudMessages, localMessages } from '../../src/campaign/dataset/records';
import { isShardOf, shardCount, shardGlob, shardName } from '../../src/campaign/dataset/shards';
import { sizeCategory } from '../../src/campaign/dataset/card';
import { formatInt, quantile } from '../../src/campaign/dataset/report';
import type { Turn } from '../../src/contracts/conversation';
import type { CampaignItem, ItemOutcome, ManifestItem } from '../../src/contracts/campaign';
import { usageTotals } from '../../src/contracts/conversation';
import { byModel, manifestItems, modelsOf, replicaUsage } from '../../src/campaign/dataset/manifest';
import type { ActivitiesDeps } from '../../src/conversation/activities';
import type { Config } from '../../src/shared/config';
import { datasetDepsFromConfig } from '../../src/worker/dependencies';
import { estimateSettingsFromConfig } from '../../src/campaign/estimate-settings';
import { loadConfig } from '../../src/shared/config';
import { LocalStore } from '../../src/output/local-store';

describe('parseVerdict', () => {
  test.each([
    [' 7/10 - the answers stay on topic.', 7, 'the answers stay on topic.'],
    [' 8/10. Clear and on topic.\nQuestion: more?', 8, 'Clear and on topic.'],
    ['Score: 6 - fine', 6, 'fine'],
    ['**Score:** 9/10 — great', 9, 'great'],
    ['3 out of 10, repetitive', 3, 'repetitive'],
    [' 10', 10, ''],
    ['7.6/10 mostly good', 8, 'mostly good'],
    ['It covers 2023 events well. Score: 5/10 - uneven', 5, 'uneven'],
    ['I give it a rating of 2 because it loops', 2, 'because it loops'],
  ])('%j gives %d', (text, score, rationale) => {
    const verdict = parseVerdict(text);
    expect(verdict).toEqual({ score, rationale });
  });

  test.each([
    '',
    'banana',
    '11/10 great',
    '0/10',
    'Score: 12',
    'I would rate it highly',
    'Question: what is 5 times 3?',
    'In 2023 the sky was blue',
  ])('%j has no score', (text) => {
    expect(parseVerdict(text)).toBeUndefined();
  });

  test('cuts a long rationale to one short line', () => {
    const verdict = parseVerdict(`6/10 ${'word '.repeat(100)}\nsecond line`);
    expect(verdict!.rationale.length).toBeLessThanOrEqual(200);
    expect(verdict!.rationale).not.toContain('second line');
  });
});

function turn(n: number, answer: string, question: string, cloudOut = 10, localOut = 5): Turn {
  return {
    turn: n,
    timestamp: '2026-01-01T00:00:00.000Z',
    query: n === 1 ? 'Seed?' : `Q${n}?`,
    cloudResponse: answer,
    localResponse: question,
    processingTimeMs: 10,
    cloudModel: 'c',
    localModel: 'l',
    cloudLatencyMs: 5,
    localLatencyMs: 5,
    cloudUsage: { inputTokens: 1, outputTokens: cloudOut },
    localUsage: { inputTokens: 1, outputTokens: localOut },
  };
}

describe('qualityFlags', () => {
  test('counts empty and truncated replies, the highest repetition and the mean reply length', () => {
    const turns = [
      turn(1, 'The sky is blue because of scattering.', 'Why scattering?', 40, 5),
      turn(2, '', 'And at sunset?', 3, 24),
      {
        ...turn(3, 'The sky is blue because of scattering.', 'ok?', 12, 5),
        resamples: { cloud: 2, local: 1 },
      },
    ];
    const flags = qualityFlags(turns, { cloud: 40, local: 24 }, 'max_turns');
    expect(flags).toEqual({
      emptyReplies: 1,
      truncatedReplies: 2,
      maxRepetition: 1,
      resamples: 3,
      meanReplyChars:
        Math.round(
          (10 * turns.reduce((s, t) => s + t.cloudResponse.length + t.localResponse.length, 0)) / 6,
        ) / 10,
      endReason: 'max_turns',
      // Words: 7 + 0 + 7 (cloud) + 2 + 3 + 1 (local) = 20, 12 distinct; bigrams 6 + 6 + 1 + 2 = 15, 9 distinct.
      distinct1: 0.6,
      distinct2: 0.6,
      // The empty answer shares nothing with either neighbour; no question repeats the one before.
      turnOverlap: { cloud: 0, local: 0 },
      collapsed: false,
    });
  });

  test('without known limits nothing counts as truncated; distinct replies repeat little', () => {
    const flags = qualityFlags([turn(1, 'alpha beta gamma', 'delta epsilon?')], {});
    expect(flags.truncatedReplies).toBe(0);
    expect(flags.maxRepetition).toBe(0);
    expect(flags).not.toHaveProperty('endReason');
  });

  test('an empty transcript has zeros', () => {
    expect(qualityFlags([], { cloud: 1 })).toEqual({
      emptyReplies: 0,
      truncatedReplies: 0,
      maxRepetition: 0,
      resamples: 0,
      meanReplyChars: 0,
      distinct1: 0,
      distinct2: 0,
      turnOverlap: { cloud: null, local: null },
      collapsed: false,
    });
  });
});

describe('roles', () => {
  const turns = [turn(1, 'A1', 'Q2?'), turn(2, 'A2', 'Q3?')];
  turns[1]!.query = 'Q2?';

  test('the cloud side answers: seed and questions are the user, answers the assistant', () => {
    expect(cloudMessages(turns, 'Be brief.')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Seed?' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Q2?' },
      { role: 'assistant', content: 'A2' },
    ]);
  });

  test('the local side asks: answers are the user, its questions the assistant; the seed opens the first message', () => {
    expect(localMessages(turns, null)).toEqual([
      { role: 'user', content: 'Question: Seed?\nAnswer: A1' },
      { role: 'assistant', content: 'Q2?' },
      { role: 'user', content: 'A2' },
      { role: 'assistant', content: 'Q3?' },
    ]);
  });
});

describe('shards', () => {
  test('one shard keeps the plain name; more are numbered as the Hub names them', () => {
    expect(shardCount(0, 10)).toBe(1);
    expect(shardCount(10, 10)).toBe(1);
    expect(shardCount(11, 10)).toBe(2);
    expect(shardName('conversations', 'jsonl', 0, 1)).toBe('conversations.jsonl');
    expect(shardName('conversations', 'jsonl', 1, 3)).toBe('conversations-00001-of-00003.jsonl');
    expect(shardGlob('sharegpt', 'jsonl', 3)).toBe('sharegpt-*.jsonl');
    expect(isShardOf('conversations-00001-of-00003.parquet', 'conversations', 'parquet')).toBe(true);
    expect(isShardOf('conversations-x.parquet', 'conversations', 'parquet')).toBe(false);
    expect(isShardOf('conversations.jsonl', 'conversations', 'parquet')).toBe(false);
  });
});

test('size categories follow the Hub', () => {
  expect(sizeCategory(0)).toBe('n<1K');
  expect(sizeCategory(999)).toBe('n<1K');
  expect(sizeCategory(1000)).toBe('1K<n<10K');
  expect(sizeCategory(250_000)).toBe('100K<n<1M');
});

test('report figures are formatted the same on every machine', () => {
  expect(formatInt(1234567)).toBe('1,234,567');
  expect(formatInt(12)).toBe('12');
  expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
  expect(quantile([], 0.9)).toBe(0);
});

describe('datasetDepsFromConfig', () => {
  const config = { OUTPUT_DIR: '/data/out', TEMPORAL_NAMESPACE: 'ns' } as Config;
  const deps = {
    llmService: { client: {}, maxTokens: 150, prices: { m: { inputPer1k: 1, outputPer1k: 2 } } },
    ollama: { client: {}, model: 'gemma3:270m', maxTokens: 96 },
    output: { store: new LocalStore('/data/out') },
  } as unknown as ActivitiesDeps;

  test('describes a Bedrock cloud side with its model and region', () => {
    const out = datasetDepsFromConfig(config, deps, {
      MODEL_PROVIDER: 'bedrock',
      BEDROCK_MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0',
      AWS_REGION: 'eu-west-1',
    });
    expect(out).toMatchObject({
      store: deps.output.store,
      temporalNamespace: 'ns',
      awsRegion: 'eu-west-1',
      cloudModelDefault: 'anthropic.claude-3-haiku-20240307-v1:0',
      localModelDefault: 'gemma3:270m',
      maxTokensDefault: { cloud: 150, local: 96 },
      prices: { m: { inputPer1k: 1, outputPer1k: 2 } },
    });
    expect(out.ollama).toBe(deps.ollama.client);
    expect(out.llmService).toBe(deps.llmService.client);
  });

  test('an Ollama cloud side has its model and no region', () => {
    const out = datasetDepsFromConfig(config, deps, { OLLAMA_MODEL: 'llama3.2:1b' });
    expect(out.cloudModelDefault).toBe('llama3.2:1b');
    expect(out).not.toHaveProperty('awsRegion');
  });

  test.each([
    [{ MODEL_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0' }, 'amazon.nova-lite-v1:0'],
    [{ MODEL_PROVIDER: 'ollama', OLLAMA_MODEL: 'llama3.2:1b' }, 'llama3.2:1b'],
    [
      { MODEL_PROVIDER: 'openai', OLLAMA_MODEL: 'gemma3:270m', OPENAI_MODEL: 'Qwen/Qwen2.5-7B' },
      'Qwen/Qwen2.5-7B',
    ],
  ])("the cloud side's default model is the one the Lambda's provider answers with: %p", (env, model) => {
    expect(datasetDepsFromConfig(config, deps, env).cloudModelDefault).toBe(model);
    expect(estimateSettingsFromConfig({ ...loadConfig({}) }, env).defaults.cloudModel).toBe(model);
  });
});

describe('the manifest names the model that answered, on every provider and endpoint', () => {
  const item = (index: number, cloud?: { endpoint?: string; model?: string }): CampaignItem => ({
    itemHash: `hash-${index}`,
    index,
    seed: { id: `s${index}`, query: 'Why?' },
    pairIndex: 0,
    grid: {},
    repeat: 0,
    conversation: { initialQuery: 'Why?', ...(cloud && { cloud }) },
  });
  const outcome = (index: number): ItemOutcome => ({
    itemHash: `hash-${index}`,
    conversationId: `c-${index}`,
    state: 'completed',
    turns: 1,
    usage: { cloud: { inputTokens: 1, outputTokens: 1 }, local: { inputTokens: 1, outputTokens: 1 } },
    costUsd: 0,
  });
  // What the worker said the cloud side's default was with MODEL_PROVIDER=openai before: its OLLAMA_MODEL.
  const defaults = { cloudModel: 'gemma3:270m', localModel: 'gemma3:270m' };

  it.each([
    ['the default cloud endpoint (the Lambda, whatever its provider)', undefined, 'cloud'],
    ['a named endpoint', { endpoint: 'fleet' }, 'fleet'],
  ])(
    '%s: sampling, the models looked up (provenance, the card models) and byModel name the served model',
    (_what, cloud, endpoint) => {
      const plan = [item(0, cloud), item(1, cloud)];
      const items = manifestItems({
        plan,
        outcomes: new Map([['hash-0', outcome(0)]]),
        running: new Set(['hash-1']),
        facts: new Map([['hash-0', { models: { cloud: 'Qwen/Qwen2.5-7B', local: 'gemma3:270m' } }]]),
        defaults,
      });
      expect(items[0]!.sampling!.cloud.model).toBe('Qwen/Qwen2.5-7B');
      // Only models that answered are looked up: the running item's default is not one.
      expect(modelsOf(items)).toEqual([
        { side: 'cloud', endpoint, model: 'Qwen/Qwen2.5-7B' },
        { side: 'local', endpoint: 'local', model: 'gemma3:270m' },
      ]);
      expect(Object.keys(byModel(items))).toEqual([
        endpoint === 'cloud' ? 'cloud:Qwen/Qwen2.5-7B' : 'cloud@fleet:Qwen/Qwen2.5-7B',
        'local:gemma3:270m',
      ]);
    },
  );
});

describe('batch turns are priced once, at the price of the way they were answered', () => {
  const usage = { inputTokens: 1000, outputTokens: 1000 };
  const local = { inputTokens: 10, outputTokens: 10 };
  /** On demand 1 + 2 USD per 1 000 tokens; in a batch half that. */
  const prices = { m: { inputPer1k: 1, outputPer1k: 2, batchInputPer1k: 0.5, batchOutputPer1k: 1 } };
  const turn = (mode: 'batch' | 'on_demand'): Turn =>
    ({
      cloudModel: 'm',
      localModel: 'l',
      cloudUsage: usage,
      localUsage: local,
      cloudCost: { costUsd: mode === 'batch' ? 1.5 : 3, priced: true },
      localCost: { costUsd: 0, priced: false },
      cloudMode: mode,
      ...(mode === 'batch' && { cloudOnDemandCostUsd: 3 }),
    }) as Turn;

  it('byModel, the totals and the turns agree on a mixed batch/on-demand campaign', () => {
    const conversations = [
      [turn('batch'), turn('batch'), turn('on_demand')],
      [turn('on_demand'), turn('batch')],
    ];
    const sumOfTurns = conversations.flat().reduce((s, t) => s + t.cloudCost!.costUsd, 0);
    const items = conversations.map((turns, i) => completedItem(i, turns));
    const rows = byModel(items, prices);
    const totalCost = items.reduce((s, i) => s + i.outcome!.costUsd, 0);

    expect(sumOfTurns).toBe(3 * 1.5 + 2 * 3);
    expect(rows['cloud:m']!.costUsd).toBe(sumOfTurns);
    expect(totalCost).toBe(sumOfTurns);
    expect(Object.values(rows).reduce((s, r) => s + r.costUsd, 0)).toBe(totalCost);
  });
});

describe('an endpoint of several replicas: its byModel row splits turns and tokens by the replica that answered', () => {
  const turn = (localReplica: number | undefined, tokens: number): Turn =>
    ({
      cloudModel: 'm',
      localModel: 'l',
      cloudUsage: { inputTokens: 1, outputTokens: 1 },
      localUsage: { inputTokens: tokens, outputTokens: 1 },
      ...(localReplica !== undefined && { localReplica }),
    }) as Turn;
  const item = (i: number, turns: Turn[]): ManifestItem => ({
    ...completedItem(i, turns),
    sampling: { cloud: { model: 'm' }, local: { model: 'l', endpoint: 'pair' } } as ManifestItem['sampling'],
    ...(replicaUsage(turns) && { replicas: replicaUsage(turns) }),
  });

  it('sums each replica within the row, a failover split between two', () => {
    // The second conversation moved from replica 1 to 0 after its first turn (its replica failed).
    const items = [item(0, [turn(0, 10), turn(0, 20)]), item(1, [turn(1, 5), turn(0, 7), turn(0, 9)])];
    expect(items[1]!.replicas).toEqual({
      local: {
        0: { turns: 2, inputTokens: 16, outputTokens: 2 },
        1: { turns: 1, inputTokens: 5, outputTokens: 1 },
      },
    });
    const row = byModel(items)['local@pair:l']!;
    expect(row.replicas).toEqual({
      0: { turns: 4, inputTokens: 46, outputTokens: 4 },
      1: { turns: 1, inputTokens: 5, outputTokens: 1 },
    });
    const parts = Object.values(row.replicas!);
    expect(parts.reduce((s, r) => s + r.inputTokens, 0)).toBe(row.inputTokens);
    expect(byModel(items)['cloud:m']!.replicas).toBeUndefined();
  });

  it('an endpoint of one server has no split', () => {
    expect(replicaUsage([turn(undefined, 3)])).toBeUndefined();
  });
});

/** A completed item of conversation `i` whose turns were `turns`, as a checkpoint records it. */
function completedItem(i: number, turns: Turn[]): ManifestItem {
  const totals = usageTotals(turns);
  return {
    itemHash: `h${i}`,
    index: i,
    conversationId: `c${i}`,
    seedId: `s${i}`,
    pairIndex: 0,
    grid: {},
    repeat: 0,
    state: 'completed',
    models: { cloud: 'm', local: 'l' },
    outcome: {
      itemHash: `h${i}`,
      conversationId: `c${i}`,
      state: 'completed',
      turns: turns.length,
      usage: totals.usage,
      costUsd: totals.costUsd,
      costUsdBySide: totals.costUsdBySide,
    },
  };
}
