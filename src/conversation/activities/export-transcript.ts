/** The exportTranscript activity: the transcript's CSV and its JSONL twin, written to the output store. */
import { ApplicationFailure, log } from '@temporalio/activity';
import { defaultOutputFile, FailureType, outputFileProblem } from '../../contracts/conversation';
import { fileErrorCode, isOutputPathError, messageOf, OutputPathError } from '../../contracts/errors';
import { DEFAULT_CSV_ESCAPE_FORMULAS } from '../../contracts/limits';
import { transcriptToCsv } from '../../output/csv';
import type { OutputStore } from '../../output/store';
import { transcriptToJsonl } from '../../output/transcript-record';
import type { ConversationMetrics } from '../metrics';
import type { ExportTranscriptInput, ExportTranscriptOutput } from './types';

/** Writes the CSV and its JSONL twin at `name`; returns where they are. */
async function writeTranscriptFiles(
  store: OutputStore,
  name: string,
  csv: string,
  jsonl: string,
): Promise<{ csvPath: string; jsonlPath: string }> {
  const problem = outputFileProblem(name);
  if (problem) throw new OutputPathError(`the name is refused: ${problem}`);
  const csvPath = await store.write(name, csv);
  const jsonlPath = await store.write(name.replace(/\.csv$/i, '.jsonl'), jsonl);
  return { csvPath, jsonlPath };
}

export interface ExportDeps {
  /** OUTPUT_DIR's folder or OUTPUT_URL's bucket. */
  store: OutputStore;
  /** CSV_ESCAPE_FORMULAS; default DEFAULT_CSV_ESCAPE_FORMULAS. */
  escapeFormulas?: boolean;
}

/**
 * The transcript goes to the requested `outputFile` (default `<conversationId>.csv`). When that cannot be written
 * (a folder on the way is a symlink or not a folder, a permission problem, a name an older rule let through…), it
 * goes to `<conversationId>.csv` at the top of the store instead, and the output says which name was asked for
 * and why it was not used: a run never loses its transcript to its file name. Only when that fails too does the
 * export fail: non-retryable for a path that can never work, otherwise retried by the activity's retry policy
 * (each attempt tries the requested name first again).
 */
export function makeExportTranscript(deps: ExportDeps, metrics?: ConversationMetrics) {
  const csvOptions = { escapeFormulas: deps.escapeFormulas ?? DEFAULT_CSV_ESCAPE_FORMULAS };
  // Counted once the files are written: the export is the one activity every conversation ends with.
  return async function exportTranscript(input: ExportTranscriptInput): Promise<ExportTranscriptOutput> {
    // A local activity of the conversation's workflow: its worker's workflow task stands for a heartbeat.
    const output = await write(input);
    metrics?.observeConversation(
      input.endReason,
      input.turns.map((t) => t.processingTimeMs),
    );
    return output;
  };

  async function write(input: ExportTranscriptInput): Promise<ExportTranscriptOutput> {
    const csv = transcriptToCsv(input.conversationId, input.turns, csvOptions);
    const jsonl = transcriptToJsonl(input.conversationId, input.endReason, input.turns);
    const fallback = defaultOutputFile(input.conversationId);
    const requested = input.outputFile ?? fallback;
    let refusal: unknown;
    try {
      return await writeTranscriptFiles(deps.store, requested, csv, jsonl);
    } catch (err) {
      if (requested === fallback) throw toFailure(err);
      refusal = err;
    }
    const exportNote =
      `outputFile ${JSON.stringify(requested)} could not be written (${reasonOf(refusal)}); ` +
      `the transcript was written as ${fallback} at the top of ${deps.store.setting} instead`;
    log.warn('transcript export fell back to the default file name', {
      conversationId: input.conversationId,
      requestedOutputFile: requested,
      exportNote,
    });
    try {
      const paths = await writeTranscriptFiles(deps.store, fallback, csv, jsonl);
      return { ...paths, requestedOutputFile: requested, exportNote };
    } catch (err) {
      throw toFailure(err);
    }
  }
}

function reasonOf(err: unknown): string {
  if (isOutputPathError(err)) return err.message;
  const code = fileErrorCode(err);
  const message = messageOf(err);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

function toFailure(err: unknown): unknown {
  if (!isOutputPathError(err)) return err;
  return ApplicationFailure.create({
    type: FailureType.InvalidOutputPath,
    message: err.message,
    nonRetryable: true,
    cause: err,
  });
}
