/**
 * The dataset's Parquet files, one per config of the card: conversations (every field, the metadata as flat
 * columns), messages, sharegpt and the two perspectives, written by hyparquet-writer with an explicit schema, so a
 * file's bytes depend only on its rows. Every config is Parquet because a loader of the card (the `datasets`
 * library, the Hub's viewer) picks one file builder for all its configs.
 */
import type { ChatMessage, ConversationRow } from './records';
import { shareGptRecord } from './records';

type Scalar = 'STRING' | 'INT32' | 'DOUBLE' | 'BOOLEAN';

/** A column of scalars, a list of strings, or a list of structs of string fields. */
type Column<R> =
  | { name: string; type: Scalar; nullable: boolean; value: (r: R) => unknown }
  | { name: string; list: 'strings'; value: (r: R) => string[] }
  | { name: string; list: readonly string[]; value: (r: R) => Record<string, string>[] };

export interface Table<R> {
  columns: Column<R>[];
}

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));

/** Why curation dropped a conversation (the `dropped` split); empty in the `train` split. */
export type CuratedRow = ConversationRow & { droppedBy: string[] };

const scalar = <R>(name: string, type: Scalar, nullable: boolean, value: (r: R) => unknown): Column<R> => ({
  name,
  type,
  nullable,
  value,
});

const messages = <R>(value: (r: R) => ChatMessage[]): Column<R> => ({
  name: 'messages',
  list: ['role', 'content'],
  value: (r) => value(r).map((m) => ({ role: m.role, content: m.content })),
});

/** conversations.parquet (the `default` config): the rows of conversations.jsonl, metadata flattened. */
export const CONVERSATIONS_TABLE: Table<CuratedRow> = {
  columns: [
    scalar('id', 'STRING', false, (r) => r.id),
    scalar('campaign_id', 'STRING', false, (r) => r.metadata.campaign_id),
    scalar('item_hash', 'STRING', false, (r) => r.metadata.item_hash),
    scalar('index', 'INT32', false, (r) => r.metadata.index),
    scalar('seed_id', 'STRING', false, (r) => r.metadata.seed_id),
    // JSON as text: readers that do not know Parquet's JSON type (Arrow makes it an extension type) read it as such.
    scalar('seed_metadata', 'STRING', true, (r) => json(r.metadata.seed_metadata)),
    scalar('pair_index', 'INT32', false, (r) => r.metadata.pair_index),
    scalar('grid', 'STRING', false, (r) => json(r.metadata.grid)),
    scalar('repeat', 'INT32', false, (r) => r.metadata.repeat),
    scalar('cloud_model', 'STRING', false, (r) => r.metadata.cloud.model),
    scalar('cloud_temperature', 'DOUBLE', true, (r) => r.metadata.cloud.temperature),
    scalar('cloud_max_tokens', 'INT32', true, (r) => r.metadata.cloud.max_tokens),
    scalar('cloud_system_prompt', 'STRING', true, (r) => r.metadata.cloud.system_prompt),
    scalar('local_model', 'STRING', false, (r) => r.metadata.local.model),
    scalar('local_temperature', 'DOUBLE', true, (r) => r.metadata.local.temperature),
    scalar('local_max_tokens', 'INT32', true, (r) => r.metadata.local.max_tokens),
    scalar('local_system_prompt', 'STRING', true, (r) => r.metadata.local.system_prompt),
    scalar('local_question_template', 'STRING', true, (r) => r.metadata.local.question_template),
    scalar('end_reason', 'STRING', true, (r) => r.metadata.end_reason),
    scalar('turns', 'INT32', false, (r) => r.metadata.turns),
    scalar('cloud_input_tokens', 'INT32', false, (r) => r.metadata.usage.cloud.input_tokens),
    scalar('cloud_output_tokens', 'INT32', false, (r) => r.metadata.usage.cloud.output_tokens),
    scalar('local_input_tokens', 'INT32', false, (r) => r.metadata.usage.local.input_tokens),
    scalar('local_output_tokens', 'INT32', false, (r) => r.metadata.usage.local.output_tokens),
    scalar('cost_usd', 'DOUBLE', false, (r) => r.metadata.cost_usd),
    scalar('started_at', 'STRING', true, (r) => r.metadata.started_at),
    scalar('ended_at', 'STRING', true, (r) => r.metadata.ended_at),
    scalar('last_question', 'STRING', true, (r) => r.metadata.last_question),
    scalar('empty_replies', 'INT32', true, (r) => r.metadata.quality?.empty_replies ?? null),
    scalar('truncated_replies', 'INT32', true, (r) => r.metadata.quality?.truncated_replies ?? null),
    scalar('max_repetition', 'DOUBLE', true, (r) => r.metadata.quality?.max_repetition ?? null),
    scalar('resamples', 'INT32', true, (r) => r.metadata.quality?.resamples ?? null),
    scalar('mean_reply_chars', 'DOUBLE', true, (r) => r.metadata.quality?.mean_reply_chars ?? null),
    scalar('judge_score', 'INT32', true, (r) => r.metadata.judge?.score ?? null),
    scalar('judge_rationale', 'STRING', true, (r) => r.metadata.judge?.rationale ?? null),
    scalar('judge_model', 'STRING', true, (r) => r.metadata.judge?.model ?? null),
    messages((r) => r.messages),
    scalar('distinct_1', 'DOUBLE', true, (r) => r.metadata.quality?.distinct_1 ?? null),
    scalar('distinct_2', 'DOUBLE', true, (r) => r.metadata.quality?.distinct_2 ?? null),
    scalar('cloud_turn_overlap', 'DOUBLE', true, (r) => r.metadata.quality?.cloud_turn_overlap ?? null),
    scalar('local_turn_overlap', 'DOUBLE', true, (r) => r.metadata.quality?.local_turn_overlap ?? null),
    scalar('collapsed', 'BOOLEAN', true, (r) => r.metadata.quality?.collapsed ?? null),
    { name: 'dropped_by', list: 'strings', value: (r) => r.droppedBy },
  ],
};

/** messages.parquet: the chat form fine-tuning reads (`messages`), with the conversation's id. */
export const MESSAGES_TABLE: Table<ConversationRow> = {
  columns: [scalar('id', 'STRING', false, (r) => r.id), messages((r) => r.messages)],
};

/** sharegpt.parquet: ShareGPT's `conversations` of {from, value}, the system prompt apart. */
export const SHAREGPT_TABLE: Table<ConversationRow> = {
  columns: [
    scalar('id', 'STRING', false, (r) => r.id),
    scalar('system', 'STRING', true, (r) => shareGptRecord(r).system ?? null),
    { name: 'conversations', list: ['from', 'value'], value: (r) => shareGptRecord(r).conversations },
  ],
};

/** perspectives/<side>.parquet: only `messages`; row i is conversations.parquet's row i. */
export const PERSPECTIVE_TABLE: Table<ChatMessage[]> = { columns: [messages((m) => m)] };

const PHYSICAL = {
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  INT32: { type: 'INT32' },
  DOUBLE: { type: 'DOUBLE' },
  BOOLEAN: { type: 'BOOLEAN' },
} as const;

const utf8 = (name: string) =>
  ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }) as const;

/** A column's schema elements: a scalar is one; a list is Parquet's three-level LIST. */
function schemaOf<R>(column: Column<R>): object[] {
  if ('type' in column) {
    return [
      {
        name: column.name,
        ...PHYSICAL[column.type],
        repetition_type: column.nullable ? 'OPTIONAL' : 'REQUIRED',
      },
    ];
  }
  const list = [
    { name: column.name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  ];
  return column.list === 'strings'
    ? [...list, utf8('element')]
    : [
        ...list,
        { name: 'element', repetition_type: 'REQUIRED', num_children: column.list.length },
        ...column.list.map(utf8),
      ];
}

/**
 * Rows per row group: a group's pages are built in memory before they are written, and a conversation's messages
 * are kilobytes, so small groups keep the step's memory down (readers read a file's groups one after another).
 */
const ROW_GROUP_ROWS = 250;

/** The column names of a table, in file order. */
export const columnNames = <R>(table: Table<R>): string[] => table.columns.map((c) => c.name);

export async function parquetFile<R>(
  table: Table<R>,
  rows: readonly R[],
  createdBy: string,
): Promise<Uint8Array> {
  // hyparquet-writer is an ES module: loaded with import(), which this CommonJS build keeps as is.
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const schema = [{ name: 'root', num_children: table.columns.length }, ...table.columns.flatMap(schemaOf)];
  const buffer = parquetWriteBuffer({
    columnData: table.columns.map((c) => ({ name: c.name, data: rows.map((r) => c.value(r)) })),
    schema: schema as Parameters<typeof parquetWriteBuffer>[0]['schema'],
    createdBy,
    rowGroupSize: ROW_GROUP_ROWS,
  });
  return new Uint8Array(buffer);
}
