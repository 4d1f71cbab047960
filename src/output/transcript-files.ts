import type { ConversationMetrics } from '../conversation/metrics/index';
import { ApplicationFailure, log } from '@temporalio/activity';
import { stringify } from 'csv-stringify/sync';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileErrorCode, isOutputPathError, messageOf, OutputPathError } from '../contracts/errors';
import { DEFAULT_CSV_ESCAPE_FORMULAS } from '../contracts/limits';
import { averageProcessingTimeMs, defaultOutputFile, FailureType, outputFileProblem } from '../contracts/conversation';
import type { EndReason, Turn } from '../contracts/conversation';
import type { ExportTranscriptInput, ExportTranscriptOutput } from '../conversation/activities/types';

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
  ]);
  return stringify([[...CSV_COLUMNS], ...rows], {
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
    // csv-stringify casts each string cell here (numbers go through its number cast), then quotes the result.
    ...(escapeFormulas && { cast: { string: escapeFormula } }),
  });
}

/**
 * One line, OpenAI chat format: each turn is the query (user) and the cloud model's answer (assistant); `turns`
 * keeps every turn as it was (both sides' raw text, models, latencies, tokens) for the campaign's dataset writers.
 */
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
    turns,
  };
  return `${JSON.stringify(line)}\n`;
}

export interface OutputPaths {
  /** Where the files are, as reported: under OUTPUT_DIR as configured (which may itself be a symlink). */
  csvPath: string;
  jsonlPath: string;
  /** Where they are written: under OUTPUT_DIR's real path, through folders checked one by one. */
  realCsvPath: string;
  realJsonlPath: string;
}

/**
 * The CSV and JSONL paths for the output file `name`, confined to `outputDir`, creating the folders they need.
 * The name must pass outputFileProblem (the rule the API and the workflow applied). OUTPUT_DIR itself is the
 * user's choice and may be a symlink: it is created if missing and resolved once. Below it nothing may be one:
 * each folder of the name is created on its own (non-recursively) if missing, then checked with lstat (not a
 * symlink, a folder) and realpath (still where it should be), before the next one is touched, so a symlink on the
 * way is refused before anything is made beyond it. (A folder swapped for a symlink by someone writing into
 * OUTPUT_DIR at the same moment could get one empty folder made through it before the check refuses it: Node has
 * no mkdirat.) Returns both the reported and the real paths; writeFileAtomic checks again.
 */
export async function resolveOutputPaths(outputDir: string, name: string): Promise<OutputPaths> {
  const problem = outputFileProblem(name);
  if (problem) throw new OutputPathError(`the name is refused: ${problem}`);
  const folders = name.split('/');
  const csvName = folders.pop()!;
  const jsonlName = csvName.replace(/\.csv$/i, '.jsonl');
  const folder = await resolveOutputFolder(outputDir, folders);
  return {
    csvPath: path.join(folder.shown, csvName),
    jsonlPath: path.join(folder.shown, jsonlName),
    realCsvPath: path.join(folder.real, csvName),
    realJsonlPath: path.join(folder.real, jsonlName),
  };
}

/**
 * The folder `folders` (names already checked by the caller) inside `outputDir`, created and checked one by one
 * as resolveOutputPaths describes: where it is as reported, and its real path to write through.
 */
export async function resolveOutputFolder(
  outputDir: string,
  folders: readonly string[],
): Promise<{ shown: string; real: string }> {
  await mkdir(outputDir, { recursive: true });
  const root = await realpath(outputDir);
  let folder = root;
  for (const part of folders) {
    const next = path.join(folder, part);
    await mkdir(next).catch((err: unknown) => {
      if (fileErrorCode(err) !== 'EEXIST') throw err;
    });
    await checkRealFolder(next, path.relative(root, next));
    folder = next;
  }
  return { shown: path.resolve(outputDir, ...folders), real: folder };
}

/** `folder` (a path with no symlink in it, if all is well) is a folder, not a symlink, and resolves to itself. */
async function checkRealFolder(folder: string, shownAs: string): Promise<void> {
  const stats = await lstat(folder);
  if (stats.isSymbolicLink()) throw new OutputPathError(`${shownAs} is a symbolic link`);
  if (!stats.isDirectory()) throw new OutputPathError(`${shownAs} is not a folder`);
  if ((await realpath(folder)) !== folder) throw new OutputPathError(`${shownAs} resolves elsewhere`);
}

/** O_NOFOLLOW where the platform has it (not Windows): the temp file is never opened through a symlink. */
const CREATE_NEW_FILE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

export interface AtomicWriteOptions {
  /**
   * The file's folder is a real path (resolveOutputPaths' `real…` paths): check again, once the temp file is
   * open and before the rename, that no part of it has become a symlink meanwhile, and that the temp name still
   * names the file written.
   */
  confined?: boolean;
}

/**
 * Readers see the old file or the new one, never a partial one: a new temp file in the same folder (created
 * exclusively, never through a symlink), fsync, rename. The rename replaces the name `file`, whatever it was: an
 * existing symlink there is replaced, not followed, and a file with other hard links gets a new inode, so the
 * other links keep the old content. Node has no openat/renameat, so a folder swapped for a symlink between the
 * last check and the rename is the one window left; it needs write access to OUTPUT_DIR during the export.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const folder = path.dirname(file);
  const temp = path.join(folder, `.${path.basename(file)}.${randomUUID()}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, CREATE_NEW_FILE, 0o644);
    created = true;
    try {
      if (options.confined) {
        await checkRealFolder(folder, folder);
        const [opened, named] = await Promise.all([handle.stat(), lstat(temp)]);
        if (opened.ino !== named.ino || opened.dev !== named.dev) {
          throw new OutputPathError(`${temp} changed while it was written`);
        }
      }
      await handle.writeFile(content, typeof content === 'string' ? 'utf8' : undefined);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.confined) await checkRealFolder(folder, folder);
    await rename(temp, file);
  } catch (err) {
    if (created) await rm(temp, { force: true });
    throw err;
  }
}

/** Writes the CSV and its JSONL twin under `outputDir` at `name`; returns the reported paths. */
async function writeTranscriptFiles(
  outputDir: string,
  name: string,
  csv: string,
  jsonl: string,
): Promise<{ csvPath: string; jsonlPath: string }> {
  const paths = await resolveOutputPaths(outputDir, name);
  await writeFileAtomic(paths.realCsvPath, csv, { confined: true });
  await writeFileAtomic(paths.realJsonlPath, jsonl, { confined: true });
  return { csvPath: paths.csvPath, jsonlPath: paths.jsonlPath };
}

export interface ExportDeps {
  /** OUTPUT_DIR. */
  dir: string;
  /** CSV_ESCAPE_FORMULAS; default DEFAULT_CSV_ESCAPE_FORMULAS. */
  escapeFormulas?: boolean;
}

/**
 * The transcript goes to the requested `outputFile` (default `<conversationId>.csv`). When that cannot be written
 * (a folder on the way is a symlink or not a folder, a permission problem, a name an older rule let through…), it
 * goes to `<conversationId>.csv` at the top of OUTPUT_DIR instead, and the output says which name was asked for
 * and why it was not used: a run never loses its transcript to its file name. Only when that fails too does the
 * export fail: non-retryable for a path that can never work, otherwise retried by the activity's retry policy
 * (each attempt tries the requested name first again).
 */
export function makeExportTranscript(deps: ExportDeps, metrics?: ConversationMetrics) {
  const csvOptions = { escapeFormulas: deps.escapeFormulas ?? DEFAULT_CSV_ESCAPE_FORMULAS };
  // Counted once the files are written: the export is the one activity every conversation ends with.
  return async function exportTranscript(input: ExportTranscriptInput): Promise<ExportTranscriptOutput> {
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
      return await writeTranscriptFiles(deps.dir, requested, csv, jsonl);
    } catch (err) {
      if (requested === fallback) throw toFailure(err);
      refusal = err;
    }
    const exportNote =
      `outputFile ${JSON.stringify(requested)} could not be written (${reasonOf(refusal)}); ` +
      `the transcript was written as ${fallback} at the top of OUTPUT_DIR instead`;
    log.warn('transcript export fell back to the default file name', {
      conversationId: input.conversationId,
      requestedOutputFile: requested,
      exportNote,
    });
    try {
      const paths = await writeTranscriptFiles(deps.dir, fallback, csv, jsonl);
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
