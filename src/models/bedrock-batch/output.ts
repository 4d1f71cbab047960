/**
 * A finished job's output as Bedrock writes it: `.jsonl.out` lines `{recordId, modelInput, modelOutput | error}`
 * in no particular order, and `manifest.json.out` with the job's counts. Joined back to the job's records by
 * recordId; a record with no line (a partial, expired or stopped job) has no result.
 */
import { answerText, type ConverseResponseBody } from '../converse-request';
import { recordIndex } from './records';

export interface RecordAnswer {
  kind: 'answered';
  text: string;
  stopReason: string;
  inputTokens: number;
  outputTokens: number;
}

export interface RecordError {
  kind: 'error';
  errorCode: number;
  errorMessage: string;
  /** Worth asking again (throttling, a server error, an empty answer); a 4xx is the request's own fault. */
  retryable: boolean;
}

export type RecordResult = RecordAnswer | RecordError;

/** `manifest.json.out`, the job's counts (the local stand-in writes it, the batcher reads it). */
export interface BatchManifest {
  totalRecordCount: number;
  processedRecordCount: number;
  successRecordCount: number;
  errorRecordCount: number;
  inputTokenCount: number;
  outputTokenCount: number;
}

export interface ParsedOutput {
  /** By record position in the job. */
  results: Map<number, RecordResult>;
  /** Lines that could not be read or name no record of the job: their records count as unanswered. */
  unreadable: number;
}

function isRetryableCode(code: number): boolean {
  return code === 408 || code === 429 || code >= 500;
}

function resultOf(line: Record<string, unknown>): RecordResult | undefined {
  const error = line.error as { errorCode?: unknown; errorMessage?: unknown } | undefined;
  if (error && typeof error === 'object') {
    const errorCode = typeof error.errorCode === 'number' ? error.errorCode : 500;
    return {
      kind: 'error',
      errorCode,
      errorMessage: typeof error.errorMessage === 'string' ? error.errorMessage : 'no message',
      retryable: isRetryableCode(errorCode),
    };
  }
  const output = line.modelOutput as Partial<ConverseResponseBody> | undefined;
  if (!output || typeof output !== 'object') return undefined;
  const text = answerText(output.output?.message?.content);
  if (text === '') {
    // As on demand: an empty cell in a dataset is worse than asking again.
    return {
      kind: 'error',
      errorCode: 500,
      errorMessage: 'The model returned an empty answer',
      retryable: true,
    };
  }
  return {
    kind: 'answered',
    text,
    stopReason: output.stopReason ?? 'end_turn',
    inputTokens: output.usage?.inputTokens ?? 0,
    outputTokens: output.usage?.outputTokens ?? 0,
  };
}

/** Lines of one or more `.jsonl.out` files; a record answered twice keeps its answer over an error. */
export function parseOutputLines(texts: readonly string[], records: number): ParsedOutput {
  const results = new Map<number, RecordResult>();
  let unreadable = 0;
  for (const raw of texts.flatMap((t) => t.split('\n'))) {
    if (raw.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      unreadable += 1;
      continue;
    }
    const fields = (typeof line === 'object' && line !== null ? line : {}) as Record<string, unknown>;
    const index = typeof fields.recordId === 'string' ? recordIndex(fields.recordId) : undefined;
    const result = resultOf(fields);
    if (index === undefined || index >= records || !result) {
      unreadable += 1;
      continue;
    }
    if (results.get(index)?.kind !== 'answered') results.set(index, result);
  }
  return { results, unreadable };
}

export function parseManifest(text: string): BatchManifest | undefined {
  let value: Partial<Record<keyof BatchManifest, unknown>>;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return undefined;
  }
  const count = (field: keyof BatchManifest) => (typeof value[field] === 'number' ? value[field] : 0);
  return {
    totalRecordCount: count('totalRecordCount'),
    processedRecordCount: count('processedRecordCount'),
    successRecordCount: count('successRecordCount'),
    errorRecordCount: count('errorRecordCount'),
    inputTokenCount: count('inputTokenCount'),
    outputTokenCount: count('outputTokenCount'),
  };
}
