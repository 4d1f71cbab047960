/**
 * What the report's conversation viewer reads, as script files beside report.html (a browser refuses fetch() of
 * local files, but runs a `<script src>` from the page's own folder): `viewer/index.js` holds one row per item
 * (what the table shows and filters on), `viewer/conversations/<itemHash>.js` one conversation's turns, loaded when
 * it is opened. Each file calls a function the page defines (`reportViewer.index(…)`,
 * `reportViewer.conversation(…)`), JSONP-style. Pure: the same input gives the same bytes.
 */
import type { CampaignManifest, ManifestItem, QualityFlags } from '../../../contracts/campaign';
import { DEFAULT_NOVELTY } from '../../../contracts/conversation-input';
import type { Turn } from '../../../contracts/conversation';
import type { ReplyLimits } from '../quality';
import type { TranscriptLink } from '../report';
import { sideModel } from '../manifest';
import { round } from '../numbers';

/** The viewer's folder in the campaign's folder, and its files' names inside it. */
export const VIEWER_FOLDER = 'viewer';
export const VIEWER_INDEX_FILE = `${VIEWER_FOLDER}/index.js`;
export const VIEWER_CONVERSATIONS_FOLDER = `${VIEWER_FOLDER}/conversations`;
/** The global the page defines and the files call. */
export const VIEWER_GLOBAL = 'reportViewer';

const ITEM_FILE = /^([0-9a-f]{12})\.js$/;

/** `viewer/conversations/<itemHash>.js`. */
export function viewerConversationFile(itemHash: string): string {
  return `${VIEWER_CONVERSATIONS_FOLDER}/${itemHash}.js`;
}

/** The item hash a conversation file's name holds (`<itemHash>.js`), or undefined when it is no such name. */
export function itemOfViewerFile(name: string): string | undefined {
  return ITEM_FILE.exec(name)?.[1];
}

/**
 * A conversation whose replies were this similar to an earlier reply of its own is flagged `repetitive`: the
 * novelty guard's default threshold, so the flag marks what the guard would have refused.
 */
export const REPETITIVE_AT = DEFAULT_NOVELTY.threshold;

/** An item's flags, in this order, as the table shows them and the flag filter offers them. */
export const ITEM_FLAGS = [
  'empty',
  'truncated',
  'repetitive',
  'collapsed',
  'resampled',
  'near-duplicate',
  'dropped',
  'unscored',
  'reused',
] as const;
export type ItemFlag = (typeof ITEM_FLAGS)[number];

export function itemFlags(item: ManifestItem): ItemFlag[] {
  const q = item.quality;
  const o = item.outcome;
  const on: Record<ItemFlag, boolean> = {
    empty: (q?.emptyReplies ?? 0) > 0,
    truncated: (q?.truncatedReplies ?? 0) > 0,
    repetitive: (q?.maxRepetition ?? 0) >= REPETITIVE_AT,
    collapsed: q?.collapsed === true,
    resampled: (q?.resamples ?? 0) > 0,
    'near-duplicate': item.nearDuplicateOf !== undefined,
    dropped: (item.droppedBy?.length ?? 0) > 0,
    unscored: o?.judge !== undefined && o.judge.score === null,
    reused: o?.reusedFrom !== undefined,
  };
  return ITEM_FLAGS.filter((f) => on[f]);
}

/** A pair of the spec as the table names it: its index and the models its items ran. */
export interface PairView {
  index: number;
  label: string;
}

/** A grid cell: the values its items ran with, `key=value` joined by `, ` (`(none)` without a grid). */
export interface CellView {
  label: string;
}

/** One table row. `cell` and `pair` index `cells` and `pairs`; links are relative to the campaign's folder. */
export interface ItemRowView {
  item: string;
  index: number;
  seed: string;
  pair: number;
  cell: number;
  repeat: number;
  state: ManifestItem['state'];
  /** The end reason, else a failure's type. */
  end: string;
  turns: number | null;
  tokens: number | null;
  costUsd: number | null;
  flags: ItemFlag[];
  /** The judge's score; null when it gave none; absent when nothing was judged. */
  judge?: number | null;
  /** What the judge said, or why the item failed. */
  note?: string;
  nearDuplicateOf?: string;
  /** The curate rules that dropped it into the `dropped` split. */
  droppedBy?: string[];
  /** The conversation's own measures (dataset/diversity.ts), once it ran. */
  measures?: Pick<QualityFlags, 'distinct1' | 'distinct2' | 'turnOverlap' | 'maxRepetition'>;
  /** A `viewer/conversations/<item>.js` exists (the item said something). */
  transcript: boolean;
  csv?: string;
  jsonl?: string;
}

export interface ViewerIndex {
  campaignId: string;
  pairs: PairView[];
  cells: CellView[];
  rows: ItemRowView[];
}

export const NO_CELL = '(none)';

/** The measures to three decimals (the viewer shows two): 10 000 rows stay smaller. */
const roundOrNull = (v: number | null) => (v === null ? null : round(v, 3));

function cellLabel(grid: ManifestItem['grid']): string {
  const entries = Object.entries(grid).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? NO_CELL : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

function pairLabel(items: readonly ManifestItem[], index: number): string {
  const first = items.find((i) => i.pairIndex === index);
  return first ? `${index}: ${sideModel(first, 'cloud')} ↔ ${sideModel(first, 'local')}` : String(index);
}

/** The table's rows from the manifest, with each transcript's links as the report makes them. */
export function viewerIndex(manifest: CampaignManifest, link: TranscriptLink): ViewerIndex {
  const cellIndex = new Map<string, number>();
  const pairIndexes = [...new Set(manifest.items.map((i) => i.pairIndex))].sort((a, b) => a - b);
  const rows = manifest.items.map((item): ItemRowView => {
    const label = cellLabel(item.grid);
    if (!cellIndex.has(label)) cellIndex.set(label, cellIndex.size);
    const o = item.outcome;
    const csv = link(o?.csvPath);
    const jsonl = link(o?.jsonlPath);
    const note = o?.judge?.rationale ?? o?.error?.message;
    return {
      item: item.itemHash,
      index: item.index,
      seed: item.seedId,
      pair: item.pairIndex,
      cell: cellIndex.get(label)!,
      repeat: item.repeat,
      state: item.state,
      end: o?.endReason ?? o?.error?.type ?? '',
      turns: o ? o.turns : null,
      tokens: o
        ? o.usage.cloud.inputTokens +
          o.usage.cloud.outputTokens +
          o.usage.local.inputTokens +
          o.usage.local.outputTokens
        : null,
      costUsd: o ? o.costUsd : null,
      flags: itemFlags(item),
      ...(o?.judge && { judge: o.judge.score }),
      ...(note !== undefined && { note }),
      ...(item.nearDuplicateOf !== undefined && { nearDuplicateOf: item.nearDuplicateOf }),
      ...(item.droppedBy?.length && { droppedBy: item.droppedBy }),
      // A manifest checkpointed by a build before the diversity measures has quality flags without them.
      ...(item.quality?.turnOverlap && {
        measures: {
          distinct1: round(item.quality.distinct1, 3),
          distinct2: round(item.quality.distinct2, 3),
          turnOverlap: {
            cloud: roundOrNull(item.quality.turnOverlap.cloud),
            local: roundOrNull(item.quality.turnOverlap.local),
          },
          maxRepetition: round(item.quality.maxRepetition, 3),
        },
      }),
      transcript: hasTranscript(item),
      ...(csv !== undefined && { csv }),
      ...(jsonl !== undefined && { jsonl }),
    };
  });
  return {
    campaignId: manifest.campaignId,
    pairs: pairIndexes.map((index) => ({ index, label: pairLabel(manifest.items, index) })),
    cells: [...cellIndex.keys()].map((label) => ({ label })),
    rows,
  };
}

/** Whether the item has a transcript the viewer can show: it ran and said something. */
export function hasTranscript(item: ManifestItem): boolean {
  return item.outcome?.jsonlPath !== undefined && item.outcome.turns > 0;
}

/** A reply's flags: empty, or cut short at its side's token limit. */
export type ReplyFlag = 'empty' | 'truncated';

export interface ReplyView {
  text: string;
  model: string;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  /** Replies the novelty guard refused before this one. */
  resamples: number;
  flags: ReplyFlag[];
  /** The cloud side's reply came from a batch job (its latency is the wait for the job). */
  batch?: true;
}

export interface TurnView {
  turn: number;
  /** ISO 8601 UTC, when the turn started. */
  at: string;
  /** What the cloud model was asked: the seed, then the local model's question of the turn before. */
  query: string;
  processingTimeMs: number;
  cloud: ReplyView;
  local: ReplyView;
}

export interface ConversationView {
  item: string;
  conversationId: string;
  endReason: string;
  turns: TurnView[];
}

function reply(
  text: string,
  model: string,
  latencyMs: number,
  usage: Turn['cloudUsage'],
  resamples: number,
  limit: number | undefined,
): ReplyView {
  const flags: ReplyFlag[] = [];
  if (text.trim() === '') flags.push('empty');
  if (limit !== undefined && usage.outputTokens >= limit) flags.push('truncated');
  return {
    text,
    model,
    latencyMs,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    resamples,
    flags,
  };
}

/** One conversation's turns as the viewer shows them; `limits` are the sides' token limits (quality.ts's). */
export function conversationView(args: {
  item: string;
  conversationId: string;
  endReason: string;
  turns: readonly Turn[];
  limits: ReplyLimits;
}): ConversationView {
  const { limits } = args;
  return {
    item: args.item,
    conversationId: args.conversationId,
    endReason: args.endReason,
    turns: args.turns.map((t) => ({
      turn: t.turn,
      at: t.timestamp,
      query: t.query,
      processingTimeMs: t.processingTimeMs,
      cloud: {
        ...reply(
          t.cloudResponse,
          t.cloudModel,
          t.cloudLatencyMs,
          t.cloudUsage,
          t.resamples?.cloud ?? 0,
          limits.cloud,
        ),
        ...(t.cloudMode === 'batch' && { batch: true as const }),
      },
      local: reply(
        t.localResponse,
        t.localModel,
        t.localLatencyMs,
        t.localUsage,
        t.resamples?.local ?? 0,
        limits.local,
      ),
    })),
  };
}

/**
 * JSON as a script expression, safe whatever the text holds: `<` escaped (no `</script>` or `<!--` even if the file
 * were ever inlined), and U+2028/U+2029, which older engines do not take inside a string literal.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `viewer/index.js`. */
export function viewerIndexScript(index: ViewerIndex): string {
  return `${VIEWER_GLOBAL}.index(${scriptJson(index)});\n`;
}

/** `viewer/conversations/<itemHash>.js`. */
export function conversationScript(view: ConversationView): string {
  return `${VIEWER_GLOBAL}.conversation(${scriptJson(view)});\n`;
}
