/** The campaign's folder in the output store, `campaigns/<campaignId>/`, its files' names, and its files read back. */
import { isCampaignId } from '../contracts/campaign';
import type { CampaignItem, CampaignManifest, PlanMeta } from '../contracts/campaign';
import { OutputPathError } from '../contracts/errors';
import { parseJsonLines } from './files';
import type { OutputStore } from './store';

/** `campaigns/<campaignId>/`: every campaign's files. */
export const CAMPAIGNS_FOLDER = 'campaigns';
export const MANIFEST_FILE = 'manifest.json';
/** The campaign's items, one CampaignItem a line, in index order. */
export const PLAN_FILE = 'plan.jsonl';
/** Written after plan.jsonl: its presence says the plan is complete, and for which spec. */
export const PLAN_META_FILE = 'plan.json';

/** The key of the campaign's folder, or of `name` (which may hold `/`) inside it. */
export function campaignKey(campaignId: string, name?: string): string {
  if (!isCampaignId(campaignId)) {
    throw new OutputPathError(`campaignId ${JSON.stringify(campaignId)} cannot name a folder`);
  }
  return name === undefined
    ? `${CAMPAIGNS_FOLDER}/${campaignId}`
    : `${CAMPAIGNS_FOLDER}/${campaignId}/${name}`;
}

/** The UTF-8 text at `key`; undefined when there is none. */
export async function readText(store: OutputStore, key: string): Promise<string | undefined> {
  return (await store.read(key))?.toString('utf8');
}

/** The plan planCampaign wrote, in index order; undefined before it exists. */
export async function readPlan(store: OutputStore, campaignId: string): Promise<CampaignItem[] | undefined> {
  const text = await readText(store, campaignKey(campaignId, PLAN_FILE));
  return text === undefined
    ? undefined
    : parseJsonLines<CampaignItem>(text).sort((a, b) => a.index - b.index);
}

/** What planCampaign recorded beside the plan (plan.json): the spec's hash and the seeds file's digest. */
export async function readPlanMeta(
  store: OutputStore,
  campaignId: string,
): Promise<Partial<PlanMeta> | undefined> {
  const text = await readText(store, campaignKey(campaignId, PLAN_META_FILE));
  return text === undefined ? undefined : (JSON.parse(text) as Partial<PlanMeta>);
}

export async function readManifest(
  store: OutputStore,
  campaignId: string,
): Promise<CampaignManifest | undefined> {
  const text = await readText(store, campaignKey(campaignId, MANIFEST_FILE));
  return text === undefined ? undefined : (JSON.parse(text) as CampaignManifest);
}

/**
 * Removes the files directly in the folder `folderKey` that `isOurs` claims (by name) but `keep` does not list: the
 * shards of an earlier export of a different size, so the folder holds one consistent set.
 */
export async function removeStale(
  store: OutputStore,
  folderKey: string,
  isOurs: (name: string) => boolean,
  keep: ReadonlySet<string>,
): Promise<void> {
  for (const key of await store.list(folderKey)) {
    const name = key.slice(folderKey.length + 1);
    if (!name.includes('/') && isOurs(name) && !keep.has(name)) await store.remove(key);
  }
}
