/**
 * Reads a campaign's seeds file: a `.jsonl` (one JSON object a line, with a `query`) or a `.csv` (a header row
 * with a `query` column) inside INPUT_DIR. An optional `id` names the seed; every other field or column goes
 * into the seed's metadata. The file is confined the way an exported transcript is (transcript-export.ts):
 * INPUT_DIR itself may be a symlink, but nothing below it may be one, checked folder by folder with lstat and
 * realpath, and the file is opened without following a symlink. Problems come back as issues naming
 * `seedsFile` or `seedsFile line 3: query`.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { fileErrorCode, messageOf } from '../contracts/errors';
import type { SeedEntry } from './expand';
import { formatPath } from '../contracts/campaign-issues';
import type { SpecIssue } from '../contracts/campaign-issues';
import { seedsFileProblem } from '../contracts/seeds-file-name';
import { MAX_SEEDS, seedObjectSchema } from '../contracts/campaign-spec';

/** Far above what MAX_SEEDS queries of ordinary length need; stops a mistaken name from reading a huge file. */
export const MAX_SEEDS_FILE_BYTES = 64 * 1024 * 1024;

export type SeedsFileRead =
  { ok: true; entries: SeedEntry[]; sha256: string } | { ok: false; issues: SpecIssue[] };

class SeedsFileProblem extends Error {
  override readonly name = 'SeedsFileProblem';
}

const fail = (message: string): SeedsFileRead => ({ ok: false, issues: [{ path: 'seedsFile', message }] });

export async function readSeedsFile(inputDir: string, name: string): Promise<SeedsFileRead> {
  const problem = seedsFileProblem(name);
  if (problem) return fail(problem);
  let content: Buffer;
  try {
    content = await readConfined(inputDir, name);
  } catch (err) {
    if (err instanceof SeedsFileProblem) return fail(err.message);
    const code = fileErrorCode(err);
    if (code === 'ENOENT') return fail(`${name} does not exist in the input folder (INPUT_DIR)`);
    if (code === 'ELOOP') return fail(`${name} is a symbolic link`);
    if (code) return fail(`${name} cannot be read (${code})`);
    throw err;
  }
  if (!isUtf8(content)) return fail(`${name} is not UTF-8 text`);
  const text = content.toString('utf8').replace(/^\uFEFF/, '');
  const parsed = name.toLowerCase().endsWith('.csv') ? csvRecords(text) : jsonlRecords(text);
  if (!parsed.ok) return parsed;
  if (parsed.records.length === 0) return fail(`${name} holds no seeds`);
  if (parsed.records.length > MAX_SEEDS) {
    return fail(
      `${name} holds ${parsed.records.length} seeds, more than the ${MAX_SEEDS} a campaign may have`,
    );
  }
  const issues: SpecIssue[] = [];
  const entries: SeedEntry[] = [];
  for (const { line, record } of parsed.records) {
    const where = `seedsFile line ${line}`;
    const checked = seedObjectSchema().safeParse(record);
    if (checked.success) entries.push({ ...checked.data, where });
    else {
      for (const issue of checked.error.issues) {
        issues.push({ path: `${where}: ${formatPath(issue.path)}`, message: issue.message });
      }
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, entries, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The file's bytes, reached through real folders only (see the module comment). */
async function readConfined(inputDir: string, name: string): Promise<Buffer> {
  const root = await realpath(inputDir).catch((err: unknown) => {
    if (fileErrorCode(err) === 'ENOENT') {
      throw new SeedsFileProblem(`the input folder (INPUT_DIR=${inputDir}) does not exist`);
    }
    throw err;
  });
  const parts = name.split('/');
  let current = root;
  for (const [i, part] of parts.entries()) {
    current = path.join(current, part);
    const shown = parts.slice(0, i + 1).join('/');
    const stats = await lstat(current);
    if (stats.isSymbolicLink()) throw new SeedsFileProblem(`${shown} is a symbolic link`);
    const last = i === parts.length - 1;
    if (!last && !stats.isDirectory()) throw new SeedsFileProblem(`${shown} is not a folder`);
    if (last && !stats.isFile()) throw new SeedsFileProblem(`${shown} is not a file`);
    if ((await realpath(current)) !== current) throw new SeedsFileProblem(`${shown} resolves elsewhere`);
  }
  const handle = await open(current, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const [opened, named] = await Promise.all([handle.stat(), lstat(current)]);
    if (opened.ino !== named.ino || opened.dev !== named.dev) {
      throw new SeedsFileProblem(`${name} changed while it was opened`);
    }
    if (opened.size > MAX_SEEDS_FILE_BYTES) {
      throw new SeedsFileProblem(`${name} is larger than ${MAX_SEEDS_FILE_BYTES / 1024 / 1024} MiB`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

interface NumberedRecord {
  line: number;
  record: Record<string, unknown>;
}

type Records = { ok: true; records: NumberedRecord[] } | { ok: false; issues: SpecIssue[] };

/** `query` and `id` as they are; every other field into `metadata` (and a `metadata` object's fields). */
function asSeed({ query, id, metadata, ...others }: Record<string, unknown>): Record<string, unknown> {
  const nested = isPlainObject(metadata) ? metadata : metadata === undefined ? {} : { metadata };
  const merged = { ...nested, ...others };
  return {
    query,
    ...(id === undefined || id === '' ? {} : { id }),
    ...(Object.keys(merged).length > 0 ? { metadata: merged } : {}),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonlRecords(text: string): Records {
  const records: NumberedRecord[] = [];
  const issues: SpecIssue[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const where = `seedsFile line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      issues.push({ path: where, message: `is not valid JSON (${messageOf(err)})` });
      return;
    }
    if (!isPlainObject(value)) {
      issues.push({ path: where, message: 'must be a JSON object with a "query" field' });
      return;
    }
    records.push({ line: i + 1, record: asSeed(value) });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, records };
}

function csvRecords(text: string): Records {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parseCsv(text, {
      bom: true,
      skip_empty_lines: true,
      info: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        const repeated = names.find((n, i) => names.indexOf(n) !== i);
        if (repeated !== undefined) throw new SeedsFileProblem(`the column "${repeated}" appears twice`);
        if (!names.includes('query')) throw new SeedsFileProblem('the header row has no "query" column');
        return names;
      },
    }) as typeof rows;
  } catch (err) {
    if (err instanceof SeedsFileProblem)
      return { ok: false, issues: [{ path: 'seedsFile line 1', message: err.message }] };
    const line = (err as { lines?: unknown }).lines;
    return {
      ok: false,
      issues: [
        { path: typeof line === 'number' ? `seedsFile line ${line}` : 'seedsFile', message: messageOf(err) },
      ],
    };
  }
  return {
    ok: true,
    records: rows.map(({ record, info }) => ({ line: info.lines, record: asSeed(record) })),
  };
}
