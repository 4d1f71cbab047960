/**
 * What a campaign's dataset says, apart from what legitimately differs between two runs of the same spec: when
 * and how fast each turn ran, the ids that carry the campaign's id, and the cloud side's mode and price (a batch
 * turn's latency is its wait for the job, and it costs the batch price). Two runs with the same deterministic
 * models, one in Bedrock batch jobs and one on demand, must have equal content.
 */
import { parse } from 'csv-parse/sync';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The per-conversation CSV's columns that say when, how fast or under which campaign a turn ran. */
export const RUN_CSV_COLUMNS = [
  'timestamp',
  'processing_time_ms',
  'conversation_id',
  'cloud_latency_ms',
  'local_latency_ms',
] as const;
/** The same in each turn of the JSONL transcript, plus the cloud side's mode and price. */
export const RUN_TURN_FIELDS = [
  'timestamp',
  'processingTimeMs',
  'cloudLatencyMs',
  'localLatencyMs',
  'cloudCost',
  'cloudMode',
  'cloudOnDemandCostUsd',
] as const;
/** The JSONL transcript's own fields of that kind. */
export const RUN_TRANSCRIPT_FIELDS = ['conversationId', 'startedAt', 'averageProcessingTimeMs'] as const;
/** conversations.jsonl: the row's id (the conversation's) and these metadata fields. */
export const RUN_ROW_METADATA = ['campaign_id', 'cost_usd', 'started_at', 'ended_at'] as const;

export interface ItemContent {
  csv: Record<string, string>[];
  transcript: Record<string, unknown>;
  row: Record<string, unknown>;
  sharegpt: unknown;
}

function omit(value: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !fields.includes(k)));
}

function jsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The content of `OUTPUT_DIR/campaigns/<campaignId>/`, by item hash. */
export function datasetContent(folder: string): Record<string, ItemContent> {
  const conversations = path.join(folder, 'conversations');
  const rows = jsonLines(path.join(folder, 'conversations.jsonl'));
  const sharegpt = new Map(
    jsonLines(path.join(folder, 'sharegpt.jsonl')).map((l) => [l.id, l.conversations]),
  );
  const content: Record<string, ItemContent> = {};
  for (const file of readdirSync(conversations)
    .filter((f) => f.endsWith('.csv'))
    .sort()) {
    const itemHash = file.slice(0, -'.csv'.length);
    const [header, ...cells] = parse(readFileSync(path.join(conversations, file), 'utf8')) as string[][];
    const csv = cells.map((row) =>
      Object.fromEntries(
        header!
          .map((column, i) => [column, row[i] ?? ''] as const)
          .filter(([column]) => !(RUN_CSV_COLUMNS as readonly string[]).includes(column)),
      ),
    );
    const [record] = jsonLines(path.join(conversations, `${itemHash}.jsonl`));
    const turns = (record!.turns as Record<string, unknown>[]).map((t) => omit(t, RUN_TURN_FIELDS));
    const row = rows.find((r) => (r.metadata as { item_hash: string }).item_hash === itemHash);
    if (!row) throw new Error(`${folder}: conversations.jsonl has no row for ${itemHash}`);
    content[itemHash] = {
      csv,
      transcript: { ...omit(record!, RUN_TRANSCRIPT_FIELDS), turns },
      row: {
        messages: row.messages,
        metadata: omit(row.metadata as Record<string, unknown>, RUN_ROW_METADATA),
      },
      sharegpt: sharegpt.get(row.id),
    };
  }
  return content;
}

/** Every turn's `cloudMode` in the dataset's JSONL transcripts (undefined where a turn records none). */
export function cloudModes(folder: string): (string | undefined)[] {
  const conversations = path.join(folder, 'conversations');
  return readdirSync(conversations)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      (jsonLines(path.join(conversations, f))[0]!.turns as { cloudMode?: string }[]).map((t) => t.cloudMode),
    );
}
