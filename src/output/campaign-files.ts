/** The campaign's folder, `OUTPUT_DIR/campaigns/<campaignId>/`, its files' names, and its plan read back. */
import path from 'node:path';
import { isCampaignId } from '../contracts/campaign';
import type { CampaignItem } from '../contracts/campaign';
import { OutputPathError } from '../contracts/errors';
import { parseJsonLines, readConfined, resolveOutputFolder } from './files';
import type { Folder } from './files';

/** `OUTPUT_DIR/campaigns/<campaignId>/`: every campaign's files. */
export const CAMPAIGNS_FOLDER = 'campaigns';
export const MANIFEST_FILE = 'manifest.json';
/** The campaign's items, one CampaignItem a line, in index order. */
export const PLAN_FILE = 'plan.jsonl';
/** Written after plan.jsonl: its presence says the plan is complete, and for which spec. */
export const PLAN_META_FILE = 'plan.json';

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
