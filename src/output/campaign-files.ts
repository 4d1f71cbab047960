/**
 * The campaign's folder, `OUTPUT_DIR/campaigns/<campaignId>/`, confined the way the transcript export confines
 * its files: folders created one by one and refused when one is a symlink, files written atomically, and files read
 * only where their real path is inside OUTPUT_DIR.
 */
import { readdir, readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileErrorCode, OutputPathError } from '../contracts/errors';
import { resolveOutputFolder, writeFileAtomic } from './transcript-files';
import { isCampaignId } from '../contracts/campaign';
import type { CampaignItem } from '../contracts/campaign';

/** `OUTPUT_DIR/campaigns/<campaignId>/`: every campaign's files. */
export const CAMPAIGNS_FOLDER = 'campaigns';
export const MANIFEST_FILE = 'manifest.json';
/** The campaign's items, one CampaignItem a line, in index order. */
export const PLAN_FILE = 'plan.jsonl';
/** Written after plan.jsonl: its presence says the plan is complete, and for which spec. */
export const PLAN_META_FILE = 'plan.json';

export interface Folder {
  /** As reported: under OUTPUT_DIR as configured. */
  shown: string;
  /** Where files are written: under OUTPUT_DIR's real path, checked folder by folder. */
  real: string;
}

/** The campaign's folder, or one of its subfolders, created if missing. */
export async function campaignFolder(
  outputDir: string,
  campaignId: string,
  subfolders: readonly string[] = [],
): Promise<Folder> {
  if (!isCampaignId(campaignId)) {
    throw new OutputPathError(`campaignId ${JSON.stringify(campaignId)} cannot name a folder`);
  }
  return resolveOutputFolder(outputDir, [CAMPAIGNS_FOLDER, campaignId, ...subfolders]);
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

/** JSON Lines: one value per non-empty line. */
export function parseJsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** The plan planCampaign wrote, in index order; undefined before it exists. */
export async function readPlan(outputDir: string, folder: Folder): Promise<CampaignItem[] | undefined> {
  const text = await readConfined(outputDir, path.join(folder.shown, PLAN_FILE));
  return text === undefined
    ? undefined
    : parseJsonLines<CampaignItem>(text).sort((a, b) => a.index - b.index);
}

/** What planCampaign recorded beside the plan (plan.json): the spec's hash and the seeds file's digest. */
export async function readPlanMeta(
  outputDir: string,
  folder: Folder,
): Promise<{ specHash?: string; seedsFile?: { name: string; sha256: string } } | undefined> {
  const text = await readConfined(outputDir, path.join(folder.shown, PLAN_META_FILE));
  return text === undefined ? undefined : (JSON.parse(text) as { specHash?: string });
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
