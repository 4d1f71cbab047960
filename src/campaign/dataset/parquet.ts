/**
 * conversations.parquet: the rows of conversations.jsonl with the metadata as flat columns and `messages` as a
 * list of {role, content} structs (what the Hugging Face viewer and TRL read), written by hyparquet-writer with an
 * explicit schema, so the file's bytes depend only on the rows.
 */
import type { ConversationRow } from './records';

type Scalar = 'STRING' | 'INT32' | 'DOUBLE';

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));

/** Column name, type, nullable, value. */
const COLUMNS: [string, Scalar, boolean, (r: ConversationRow) => unknown][] = [
  ['id', 'STRING', false, (r) => r.id],
  ['campaign_id', 'STRING', false, (r) => r.metadata.campaign_id],
  ['item_hash', 'STRING', false, (r) => r.metadata.item_hash],
  ['index', 'INT32', false, (r) => r.metadata.index],
  ['seed_id', 'STRING', false, (r) => r.metadata.seed_id],
  // JSON as text: readers that do not know Parquet's JSON type (Arrow makes it an extension type) read it as such.
  ['seed_metadata', 'STRING', true, (r) => json(r.metadata.seed_metadata)],
  ['pair_index', 'INT32', false, (r) => r.metadata.pair_index],
  ['grid', 'STRING', false, (r) => json(r.metadata.grid)],
  ['repeat', 'INT32', false, (r) => r.metadata.repeat],
  ['cloud_model', 'STRING', false, (r) => r.metadata.cloud.model],
  ['cloud_temperature', 'DOUBLE', true, (r) => r.metadata.cloud.temperature],
  ['cloud_max_tokens', 'INT32', true, (r) => r.metadata.cloud.max_tokens],
  ['cloud_system_prompt', 'STRING', true, (r) => r.metadata.cloud.system_prompt],
  ['local_model', 'STRING', false, (r) => r.metadata.local.model],
  ['local_temperature', 'DOUBLE', true, (r) => r.metadata.local.temperature],
  ['local_max_tokens', 'INT32', true, (r) => r.metadata.local.max_tokens],
  ['local_system_prompt', 'STRING', true, (r) => r.metadata.local.system_prompt],
  ['local_question_template', 'STRING', true, (r) => r.metadata.local.question_template],
  ['end_reason', 'STRING', true, (r) => r.metadata.end_reason],
  ['turns', 'INT32', false, (r) => r.metadata.turns],
  ['cloud_input_tokens', 'INT32', false, (r) => r.metadata.usage.cloud.input_tokens],
  ['cloud_output_tokens', 'INT32', false, (r) => r.metadata.usage.cloud.output_tokens],
  ['local_input_tokens', 'INT32', false, (r) => r.metadata.usage.local.input_tokens],
  ['local_output_tokens', 'INT32', false, (r) => r.metadata.usage.local.output_tokens],
  ['cost_usd', 'DOUBLE', false, (r) => r.metadata.cost_usd],
  ['started_at', 'STRING', true, (r) => r.metadata.started_at],
  ['ended_at', 'STRING', true, (r) => r.metadata.ended_at],
  ['last_question', 'STRING', true, (r) => r.metadata.last_question],
  ['empty_replies', 'INT32', true, (r) => r.metadata.quality?.empty_replies ?? null],
  ['truncated_replies', 'INT32', true, (r) => r.metadata.quality?.truncated_replies ?? null],
  ['max_repetition', 'DOUBLE', true, (r) => r.metadata.quality?.max_repetition ?? null],
  ['resamples', 'INT32', true, (r) => r.metadata.quality?.resamples ?? null],
  ['mean_reply_chars', 'DOUBLE', true, (r) => r.metadata.quality?.mean_reply_chars ?? null],
  ['judge_score', 'INT32', true, (r) => r.metadata.judge?.score ?? null],
  ['judge_rationale', 'STRING', true, (r) => r.metadata.judge?.rationale ?? null],
  ['judge_model', 'STRING', true, (r) => r.metadata.judge?.model ?? null],
];

const PHYSICAL = {
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  INT32: { type: 'INT32' },
  DOUBLE: { type: 'DOUBLE' },
} as const;

const utf8 = (name: string) =>
  ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }) as const;

/** Parquet's three-level LIST of a required {role, content} struct. */
const MESSAGES_SCHEMA = [
  { name: 'messages', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
  utf8('role'),
  utf8('content'),
] as const;

/** The column names in file order. */
export const PARQUET_COLUMNS = [...COLUMNS.map(([name]) => name), 'messages'];

export async function conversationsParquet(
  rows: readonly ConversationRow[],
  createdBy: string,
): Promise<Uint8Array> {
  // hyparquet-writer is an ES module: loaded with import(), which this CommonJS build keeps as is.
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const schema = [
    { name: 'root', num_children: COLUMNS.length + 1 },
    ...COLUMNS.map(([name, type, nullable]) => ({
      name,
      ...PHYSICAL[type],
      repetition_type: nullable ? 'OPTIONAL' : 'REQUIRED',
    })),
    ...MESSAGES_SCHEMA,
  ];
  const columnData = [
    ...COLUMNS.map(([name, , , value]) => ({ name, data: rows.map(value) })),
    {
      name: 'messages',
      data: rows.map((r) => r.messages.map((m) => ({ role: m.role, content: m.content }))),
    },
  ];
  const buffer = parquetWriteBuffer({
    columnData,
    schema: schema as Parameters<typeof parquetWriteBuffer>[0]['schema'],
    createdBy,
  });
  return new Uint8Array(buffer);
}
