import { ApplicationFailure } from '@temporalio/activity';
import { stringify } from 'csv-stringify/sync';
import { randomUUID } from 'node:crypto';
import { mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { averageProcessingTimeMs, FailureType, outputFileProblem } from '../definitions';
import type { EndReason, Turn } from '../definitions';
import type { ExportTranscriptInput, ExportTranscriptOutput } from './types';

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
] as const;

export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

/** RFC 4180: CRLF between records, and any field holding a comma, quote, CR or LF is quoted. */
export function transcriptToCsv(conversationId: string, turns: Turn[]): string {
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
  ]);
  return stringify([[...CSV_COLUMNS], ...rows], { record_delimiter: 'windows', quoted_match: /[\r\n]/ });
}

/** One line, OpenAI chat format: each turn is the query (user) and the cloud model's answer (assistant). */
export function transcriptToJsonl(conversationId: string, endReason: EndReason, turns: Turn[]): string {
  const first = turns[0];
  const line = {
    conversationId,
    endReason,
    completedTurns: turns.length,
    startedAt: first?.timestamp ?? null,
    cloudModel: first?.cloudModel ?? null,
    localModel: first?.localModel ?? null,
    averageProcessingTimeMs: averageProcessingTimeMs(turns),
    messages: turns.flatMap((t) => [
      { role: 'user', content: t.query },
      { role: 'assistant', content: t.cloudResponse },
    ]),
  };
  return `${JSON.stringify(line)}\n`;
}

/**
 * Absolute CSV and JSONL paths for a conversation, confined to `outputDir` (also through symlinks).
 * Creates the containing folder.
 */
export async function resolveOutputPaths(
  outputDir: string,
  conversationId: string,
  outputFile?: string,
): Promise<ExportTranscriptOutput> {
  const name = outputFile ?? `${conversationId.replace(/[^\w.-]/g, '_')}.csv`;
  const problem = outputFileProblem(name);
  if (problem) throw new OutputPathError(`outputFile ${JSON.stringify(name)} ${problem}`);
  const root = path.resolve(outputDir);
  const csvPath = path.resolve(root, name);
  if (!isInside(root, csvPath))
    throw new OutputPathError(`outputFile ${JSON.stringify(name)} leaves ${root}`);
  const folder = path.dirname(csvPath);
  await mkdir(folder, { recursive: true });
  if (!isInside(await realpath(root), await realpath(folder))) {
    throw new OutputPathError(`outputFile ${JSON.stringify(name)} resolves outside ${root}`);
  }
  return { csvPath, jsonlPath: csvPath.replace(/\.csv$/i, '.jsonl') };
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Readers see the old file or the new one, never a partial one: temp file in the same folder, fsync, rename. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export function makeExportTranscript(outputDir: string) {
  return async function exportTranscript(input: ExportTranscriptInput): Promise<ExportTranscriptOutput> {
    let paths: ExportTranscriptOutput;
    try {
      paths = await resolveOutputPaths(outputDir, input.conversationId, input.outputFile);
    } catch (err) {
      if (err instanceof OutputPathError) {
        throw ApplicationFailure.nonRetryable(err.message, FailureType.InvalidOutputPath);
      }
      throw err;
    }
    await writeFileAtomic(paths.csvPath, transcriptToCsv(input.conversationId, input.turns));
    await writeFileAtomic(
      paths.jsonlPath,
      transcriptToJsonl(input.conversationId, input.endReason, input.turns),
    );
    return paths;
  };
}
