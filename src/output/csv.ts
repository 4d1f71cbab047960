/** The transcript as CSV: the original service's columns first, RFC 4180, text cells escaped for spreadsheets. */
import { stringify } from 'csv-stringify/sync';
import type { Turn } from '../contracts/conversation';
import { DEFAULT_CSV_ESCAPE_FORMULAS } from '../contracts/limits';

/** The original service's five columns first, in its order, then ours. */
export const CSV_COLUMNS = [
  'timestamp',
  'query',
  'cloud_response',
  'ollama_response',
  'processing_time_ms',
  'conversation_id',
  'turn',
  'cloud_model',
  'local_model',
  'cloud_latency_ms',
  'local_latency_ms',
  'cloud_input_tokens',
  'cloud_output_tokens',
  'local_input_tokens',
  'local_output_tokens',
  'cloud_resamples',
  'local_resamples',
] as const;

export interface CsvOptions {
  /** Escape text cells a spreadsheet would evaluate (see escapeFormula). Default DEFAULT_CSV_ESCAPE_FORMULAS. */
  escapeFormulas?: boolean;
}

/**
 * A text cell that starts with one of these is evaluated as a formula by spreadsheets (`=HYPERLINK(…)`, `@SUM(…)`,
 * `+cmd|…`): OWASP's CSV injection list (`=`, `+`, `-`, `@`, tab, carriage return, and since 2025 line feed), plus
 * the full-width forms of the first four, which some spreadsheets fold into them.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * OWASP's advice for such a cell: a leading single quote, which spreadsheets read as "this is text" and do not
 * show. Only for text cells: numbers (latencies, token counts) are written as they are.
 */
export function escapeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * RFC 4180: CRLF between records, and any field holding a comma, quote, CR or LF is quoted. Text cells that a
 * spreadsheet would evaluate are escaped unless `escapeFormulas` is false (the JSONL keeps the raw text).
 */
export function transcriptToCsv(conversationId: string, turns: Turn[], options: CsvOptions = {}): string {
  const escapeFormulas = options.escapeFormulas ?? DEFAULT_CSV_ESCAPE_FORMULAS;
  const rows = turns.map((t) => [
    t.timestamp,
    t.query,
    t.cloudResponse,
    t.localResponse,
    t.processingTimeMs,
    conversationId,
    t.turn,
    t.cloudModel,
    t.localModel,
    t.cloudLatencyMs,
    t.localLatencyMs,
    t.cloudUsage.inputTokens,
    t.cloudUsage.outputTokens,
    t.localUsage.inputTokens,
    t.localUsage.outputTokens,
    t.resamples?.cloud ?? 0,
    t.resamples?.local ?? 0,
  ]);
  return stringify([[...CSV_COLUMNS], ...rows], {
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
    // csv-stringify casts each string cell here (numbers go through its number cast), then quotes the result.
    ...(escapeFormulas && { cast: { string: escapeFormula } }),
  });
}
