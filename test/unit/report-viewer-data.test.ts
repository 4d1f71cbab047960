/**
 * What the report viewer's files carry: viewer/index.js (a row per item, the pairs and grid cells) and
 * viewer/conversations/<item>.js (the turns with each reply's latency, tokens, resamples and flags), and that any
 * text survives the trip into a script file unchanged and inert.
 */
import { createHash } from 'node:crypto';
import {
  conversationScript,
  conversationView,
  itemFlags,
  itemOfViewerFile,
  scriptJson,
  viewerConversationFile,
  viewerIndex,
  viewerIndexScript,
} from '../../src/campaign/dataset/viewer/data';
import { VIEWER_SCRIPT } from '../../src/campaign/dataset/viewer/client';
import { renderReport, reportContentSecurityPolicy } from '../../src/campaign/dataset/report';
import type { CampaignManifest, ItemOutcome, ManifestItem } from '../../src/contracts/campaign';
import type { Turn } from '../../src/contracts/conversation';
import { conversationOfScript, indexOfScript } from '../helpers/viewer-files';

const HOSTILE = '</script><script>alert(1)</script> <!-- \u2028\u2029 "quotes" \\ ${x} `tick`';

function outcome(itemHash: string, extra: Partial<ItemOutcome> = {}): ItemOutcome {
  return {
    itemHash,
    conversationId: `campaign-c-${itemHash}`,
    state: 'completed',
    endReason: 'max_turns',
    turns: 2,
    usage: { cloud: { inputTokens: 10, outputTokens: 20 }, local: { inputTokens: 30, outputTokens: 40 } },
    costUsd: 0.0125,
    csvPath: `campaigns/c/conversations/${itemHash}.csv`,
    jsonlPath: `campaigns/c/conversations/${itemHash}.jsonl`,
    ...extra,
  };
}

function item(index: number, extra: Partial<ManifestItem> = {}): ManifestItem {
  const itemHash = index.toString(16).padStart(12, 'a');
  return {
    itemHash,
    index,
    conversationId: `campaign-c-${itemHash}`,
    seedId: `seed-${index % 2}`,
    pairIndex: 0,
    grid: {},
    repeat: 0,
    state: 'completed',
    models: { cloud: 'cloud-model', local: 'local-model' },
    outcome: outcome(itemHash),
    quality: {
      emptyReplies: 0,
      truncatedReplies: 0,
      maxRepetition: 0.1,
      resamples: 0,
      meanReplyChars: 12,
      distinct1: 0.5,
      distinct2: 0.75,
      turnOverlap: { cloud: 0.2504, local: null },
      collapsed: false,
    },
    ...extra,
  };
}

function manifestOf(items: ManifestItem[]): CampaignManifest {
  return {
    formatVersion: 1,
    campaignId: 'c',
    workflowId: 'campaign-c',
    status: 'completed',
    spec: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:01:00.000Z',
    counts: { pending: 0, running: 0, completed: items.length, failed: 0, skipped: 0 },
    totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, turns: 0 },
    byModel: {},
    items,
    provenance: { packageVersion: '0.1.0', temporalNamespace: 'default', models: [] },
  } as unknown as CampaignManifest;
}

const link = (location: string | undefined) => location?.replace('campaigns/c/', '');

describe('itemFlags', () => {
  test('each flag from its own fact, in a fixed order', () => {
    expect(itemFlags(item(0))).toEqual([]);
    const q = item(0).quality!;
    expect(itemFlags(item(0, { quality: { ...q, emptyReplies: 1 } }))).toEqual(['empty']);
    expect(itemFlags(item(0, { quality: { ...q, truncatedReplies: 2 } }))).toEqual(['truncated']);
    expect(itemFlags(item(0, { quality: { ...q, maxRepetition: 0.65 } }))).toEqual(['repetitive']);
    expect(itemFlags(item(0, { quality: { ...q, maxRepetition: 0.64 } }))).toEqual([]);
    expect(itemFlags(item(0, { quality: { ...q, resamples: 1 } }))).toEqual(['resampled']);
    expect(itemFlags(item(0, { quality: { ...q, collapsed: true } }))).toEqual(['collapsed']);
    expect(itemFlags(item(0, { droppedBy: ['minTurns'] }))).toEqual(['dropped']);
    expect(itemFlags(item(0, { droppedBy: [] }))).toEqual([]);
    expect(itemFlags(item(0, { nearDuplicateOf: 'bbbbbbbbbbbb' }))).toEqual(['near-duplicate']);
    const judged = (score: number | null) =>
      item(0, { outcome: outcome('x', { judge: { score, rationale: 'r', model: 'j' } }) });
    expect(itemFlags(judged(null))).toEqual(['unscored']);
    expect(itemFlags(judged(3))).toEqual([]);
    expect(itemFlags(item(0, { outcome: outcome('x', { reusedFrom: 'parent' }) }))).toEqual(['reused']);
    expect(
      itemFlags(item(0, { quality: { ...q, truncatedReplies: 1, emptyReplies: 1 }, nearDuplicateOf: 'b' })),
    ).toEqual(['empty', 'truncated', 'near-duplicate']);
  });
});

describe('viewerIndex', () => {
  const items = [
    item(0, { grid: { 'cloud.temperature': 0.2 } }),
    item(1, {
      grid: { 'cloud.temperature': 0.9 },
      outcome: outcome('000000000001', {
        judge: { score: 7, rationale: 'on topic', model: 'j' },
      }),
    }),
    item(2, {
      pairIndex: 1,
      grid: { 'cloud.temperature': 0.2 },
      models: { cloud: 'other-cloud', local: 'local-model' },
      outcome: outcome('000000000002', { judge: { score: null, rationale: 'no score', model: 'j' } }),
      droppedBy: ['minJudgeScore'],
    }),
    item(3, {
      state: 'failed',
      grid: { 'cloud.temperature': 0.9 },
      quality: undefined,
      outcome: {
        ...outcome('000000000003', { state: 'failed', turns: 0, costUsd: 0 }),
        endReason: undefined,
        csvPath: undefined,
        jsonlPath: undefined,
        error: { type: 'ChildWorkflowFailure', message: 'it broke' },
      },
    }),
    item(4, { state: 'pending', outcome: undefined, quality: undefined, grid: { 'cloud.temperature': 0.2 } }),
  ];
  const index = viewerIndex(manifestOf(items), link);

  test('pairs by their models, grid cells by their values, each once', () => {
    expect(index.campaignId).toBe('c');
    expect(index.pairs).toEqual([
      { index: 0, label: '0: cloud-model ↔ local-model' },
      { index: 1, label: '1: other-cloud ↔ local-model' },
    ]);
    expect(index.cells).toEqual([{ label: 'cloud.temperature=0.2' }, { label: 'cloud.temperature=0.9' }]);
    expect(index.rows.map((r) => [r.pair, r.cell])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(viewerIndex(manifestOf([item(0)]), link).cells).toEqual([{ label: '(none)' }]);
  });

  test('a row per item with what the table shows', () => {
    const [done, judged, unscored, failed, pending] = index.rows;
    expect(done).toEqual({
      item: items[0]!.itemHash,
      index: 0,
      seed: 'seed-0',
      pair: 0,
      cell: 0,
      repeat: 0,
      state: 'completed',
      end: 'max_turns',
      turns: 2,
      tokens: 100,
      costUsd: 0.0125,
      flags: [],
      measures: {
        distinct1: 0.5,
        distinct2: 0.75,
        turnOverlap: { cloud: 0.25, local: null },
        maxRepetition: 0.1,
      },
      transcript: true,
      csv: `conversations/${items[0]!.itemHash}.csv`,
      jsonl: `conversations/${items[0]!.itemHash}.jsonl`,
    });
    expect(judged).toMatchObject({ judge: 7, note: 'on topic' });
    expect(unscored).toMatchObject({
      judge: null,
      note: 'no score',
      flags: ['dropped', 'unscored'],
      droppedBy: ['minJudgeScore'],
    });
    expect(failed).toMatchObject({
      state: 'failed',
      end: 'ChildWorkflowFailure',
      note: 'it broke',
      turns: 0,
    });
    expect(failed!.transcript).toBe(false);
    expect(failed!.csv).toBeUndefined();
    expect(pending).toMatchObject({ state: 'pending', end: '', turns: null, tokens: null, costUsd: null });
    expect('judge' in pending!).toBe(false);
  });

  test('viewer/index.js hands the index to reportViewer.index, unchanged', () => {
    const hostile = viewerIndex(manifestOf([item(0, { seedId: HOSTILE })]), link);
    const script = viewerIndexScript(hostile);
    expect(script).not.toMatch(/<\/script|<!--|[\u2028\u2029]/);
    expect(indexOfScript(script)).toEqual(hostile);
  });
});

function turn(n: number, extra: Partial<Turn> = {}): Turn {
  return {
    turn: n,
    timestamp: `2026-01-01T00:00:0${n}.000Z`,
    query: `Q${n}?`,
    cloudResponse: `A${n}.`,
    localResponse: `Q${n + 1}?`,
    processingTimeMs: 100 + n,
    cloudModel: 'cloud-model',
    localModel: 'local-model',
    cloudLatencyMs: 60 + n,
    localLatencyMs: 30 + n,
    cloudUsage: { inputTokens: 10 * n, outputTokens: 5 },
    localUsage: { inputTokens: 20 * n, outputTokens: 3 },
    ...extra,
  };
}

describe('conversationView', () => {
  test('each turn with both replies: text, model, latency, tokens, resamples and flags', () => {
    const view = conversationView({
      item: 'aaaaaaaaaaaa',
      conversationId: 'campaign-c-aaaaaaaaaaaa',
      endReason: 'max_turns',
      turns: [
        turn(1, { resamples: { cloud: 0, local: 2 } }),
        turn(2, {
          cloudResponse: '  ',
          cloudUsage: { inputTokens: 20, outputTokens: 40 },
          cloudMode: 'batch',
          localUsage: { inputTokens: 40, outputTokens: 24 },
        }),
      ],
      limits: { cloud: 40, local: 24 },
    });
    expect(view.turns[0]).toEqual({
      turn: 1,
      at: '2026-01-01T00:00:01.000Z',
      query: 'Q1?',
      processingTimeMs: 101,
      cloud: {
        text: 'A1.',
        model: 'cloud-model',
        latencyMs: 61,
        inputTokens: 10,
        outputTokens: 5,
        resamples: 0,
        flags: [],
      },
      local: {
        text: 'Q2?',
        model: 'local-model',
        latencyMs: 31,
        inputTokens: 20,
        outputTokens: 3,
        resamples: 2,
        flags: [],
      },
    });
    expect(view.turns[1]!.cloud).toMatchObject({ flags: ['empty', 'truncated'], batch: true });
    expect(view.turns[1]!.local.flags).toEqual(['truncated']);
  });

  test('without known limits no reply is called truncated', () => {
    const view = conversationView({
      item: 'aaaaaaaaaaaa',
      conversationId: 'x',
      endReason: 'max_turns',
      turns: [turn(1, { cloudUsage: { inputTokens: 1, outputTokens: 4096 } })],
      limits: {},
    });
    expect(view.turns[0]!.cloud.flags).toEqual([]);
  });

  test('its script hands any text back unchanged, inert as markup', () => {
    const view = conversationView({
      item: 'aaaaaaaaaaaa',
      conversationId: 'x',
      endReason: 'repetition',
      turns: [turn(1, { query: HOSTILE, cloudResponse: HOSTILE, localResponse: HOSTILE })],
      limits: {},
    });
    const script = conversationScript(view);
    expect(script.startsWith('reportViewer.conversation(')).toBe(true);
    expect(script).not.toMatch(/<\/script|<!--|[\u2028\u2029]/);
    expect(conversationOfScript(script)).toEqual(view);
  });
});

describe('file names and the page', () => {
  test('a conversation file is named by its item hash, and only such names are taken back', () => {
    expect(viewerConversationFile('0123456789ab')).toBe('viewer/conversations/0123456789ab.js');
    expect(itemOfViewerFile('0123456789ab.js')).toBe('0123456789ab');
    for (const bad of ['0123456789AB.js', '../0123456789ab.js', '0123456789ab.json', 'index.js'])
      expect(itemOfViewerFile(bad)).toBeUndefined();
  });

  test('scriptJson escapes what could end a script or a string literal', () => {
    expect(scriptJson({ t: '</script>\u2028' })).toBe('{"t":"\\u003c/script\\u003e\\u2028"}');
  });

  test("the page's one inline script is the viewer's, allowed by the policy's hash; it parses", () => {
    const html = renderReport({ manifest: manifestOf([item(0)]) });
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toEqual([VIEWER_SCRIPT]);
    const hash = createHash('sha256').update(VIEWER_SCRIPT).digest('base64');
    expect(reportContentSecurityPolicy()).toContain(`script-src 'sha256-${hash}' 'self'`);
    expect(() => new Function(VIEWER_SCRIPT)).not.toThrow();
    // The page holds no row and no conversation: they come from the viewer's files.
    expect(html).not.toContain(item(0).itemHash);
  });
});
