/**
 * Files under OUTPUT_DIR: paths confined to it (no symlink below it, folders checked one by one), atomic writes
 * (temp file + rename), confined reads, and the removal of files a newer write made stale.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { outputFileProblem } from '../contracts/conversation-input';
import { fileErrorCode, OutputPathError } from '../contracts/errors';

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

export interface Folder {
  /** As reported: under OUTPUT_DIR as configured. */
  shown: string;
  /** Where files are written: under OUTPUT_DIR's real path, checked folder by folder. */
  real: string;
}

/** Writes `name` in `folder` atomically; returns its reported path. */
export async function writeInFolder(
  folder: Folder,
  name: string,
  content: string | Uint8Array,
): Promise<string> {
  await writeFileAtomic(path.join(folder.real, name), content, { confined: true });
  return path.join(folder.shown, name);
}

/**
 * The text of `file` (a path as reported under OUTPUT_DIR, or relative to it), refusing one whose real path is
 * outside OUTPUT_DIR: a symlink there does not lead the dataset writers to read other files. Undefined when the
 * file does not exist.
 */
export async function readConfined(outputDir: string, file: string): Promise<string | undefined> {
  const root = await realpath(outputDir);
  let real: string;
  try {
    real = await realpath(path.resolve(outputDir, file));
  } catch (err) {
    if (fileErrorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  if (!real.startsWith(root + path.sep)) throw new OutputPathError(`${file} is outside OUTPUT_DIR`);
  return readFile(real, 'utf8');
}

/**
 * `file` relative to OUTPUT_DIR, `/`-separated: what a dataset's files name, so they hold no folder of the machine
 * that wrote them. `file` is as the export reported it (under OUTPUT_DIR as configured: absolute, or relative to
 * the working folder when OUTPUT_DIR is), or already relative to OUTPUT_DIR.
 */
export function outputRelativePath(outputDir: string, file: string): string {
  let relative: string;
  if (path.isAbsolute(file)) {
    relative = path.relative(path.resolve(outputDir), file);
  } else {
    const prefix = path.normalize(outputDir) + path.sep;
    const normalized = path.normalize(file);
    relative =
      prefix !== `.${path.sep}` && normalized.startsWith(prefix)
        ? normalized.slice(prefix.length)
        : normalized;
  }
  return relative.split(path.sep).join('/');
}

/** JSON Lines: one value per non-empty line. */
export function parseJsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * Removes the files in `folder` that `isOurs` claims but `keep` does not list: the shards of an earlier export
 * of a different size, so the folder holds one consistent set.
 */
export async function removeStale(
  folder: Folder,
  isOurs: (name: string) => boolean,
  keep: ReadonlySet<string>,
): Promise<void> {
  for (const name of await readdir(folder.real)) {
    if (isOurs(name) && !keep.has(name)) await rm(path.join(folder.real, name), { force: true });
  }
}
