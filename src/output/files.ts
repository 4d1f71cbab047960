/**
 * Files under OUTPUT_DIR, for the local output store: folders confined to it (no symlink below it, checked one by
 * one), atomic writes (temp file + rename), and JSON Lines.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileErrorCode, OutputPathError } from '../contracts/errors';

/**
 * The folder `folders` (names already checked by the caller) inside `outputDir`, created if missing, and its real
 * path to write through. OUTPUT_DIR itself is the user's choice and may be a symlink: it is created if missing and
 * resolved once. Below it nothing may be one: each folder is created on its own (non-recursively) if missing, then
 * checked with lstat (not a symlink, a folder) and realpath (still where it should be), before the next one is
 * touched, so a symlink on the way is refused before anything is made beyond it. (A folder swapped for a symlink by
 * someone writing into OUTPUT_DIR at the same moment could get one empty folder made through it before the check
 * refuses it: Node has no mkdirat.) writeFileAtomic checks again.
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
   * The file's folder is a real path (resolveOutputFolder's `real`): check again, once the temp file is
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
  await sweepStaleTemps(folder);
}

/** A temp file of writeFileAtomic: `.<name>.<uuid>.tmp`. */
const TEMP_FILE = /^\..+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;
/** Older than this, a temp file is left by a write that died (a killed process): no write of ours takes as long. */
export const STALE_TEMP_MS = 15 * 60_000;
/** A folder is swept at most this often by one process: listing a folder of many transcripts is not free. */
const SWEEP_EVERY_MS = 60_000;
const sweptAt = new Map<string, number>();

/**
 * Removes the temp files a killed write left in `folder` (older than STALE_TEMP_MS), at the first write to that
 * folder (so after a restart) and then at most once a minute. Best effort: a failure leaves them for the next one.
 */
export async function sweepStaleTemps(folder: string, now = Date.now()): Promise<void> {
  if (now - (sweptAt.get(folder) ?? -Infinity) < SWEEP_EVERY_MS) return;
  sweptAt.set(folder, now);
  try {
    for (const name of await readdir(folder)) {
      if (!TEMP_FILE.test(name)) continue;
      const temp = path.join(folder, name);
      const stats = await lstat(temp).catch(() => undefined);
      if (stats?.isFile() && now - stats.mtimeMs > STALE_TEMP_MS) await rm(temp, { force: true });
    }
  } catch {
    // The folder went away, or cannot be listed: nothing to sweep now.
  }
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
