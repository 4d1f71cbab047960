/**
 * `campaigns/<campaignId>/estimate.json`: the estimate `--estimate` and `POST /campaigns?dryRun=true` made of a spec,
 * kept for the campaign that follows (planCampaign puts it in the plan, the manifest compares it with the actual).
 */
import type { EstimateRecord } from '../contracts/campaign-estimate';
import { campaignKey, PLAN_META_FILE, readText } from '../output/campaign-files';
import type { OutputStore } from '../output/store';
import type { CampaignEstimate } from './estimate';
import { specHashOf } from './identity';
import type { ValidCampaign } from './validate';

export const ESTIMATE_FILE = 'estimate.json';

export async function readEstimateRecord(
  store: OutputStore,
  campaignId: string,
): Promise<EstimateRecord | undefined> {
  const text = await readText(store, campaignKey(campaignId, ESTIMATE_FILE));
  return text === undefined ? undefined : (JSON.parse(text) as EstimateRecord);
}

/** The hash planCampaign gives the spec this campaign starts with (start.ts puts the campaignId in it). */
export function plannedSpecHash(campaign: ValidCampaign): string {
  return specHashOf({ ...campaign.spec, campaignId: campaign.campaignId });
}

export function estimateRecord(
  campaign: ValidCampaign,
  estimate: CampaignEstimate,
  at: Date,
): EstimateRecord {
  return {
    campaignId: campaign.campaignId,
    specHash: plannedSpecHash(campaign),
    estimatedAt: at.toISOString(),
    basis: estimate.basis,
    from: estimate.measured?.from ?? [],
    ...(estimate.measured?.pilot && { pilot: estimate.measured.pilot }),
    expected: estimate.expected,
  };
}

/**
 * Writes the record, unless the campaign has started (a plan exists: it would not read it) or a pilot's record of
 * the same spec is there and this one has no pilot (the campaign would lose the pilot's items). Returns whether it
 * wrote.
 */
export async function writeEstimateRecord(store: OutputStore, record: EstimateRecord): Promise<boolean> {
  if (await store.exists(campaignKey(record.campaignId, PLAN_META_FILE))) return false;
  const existing = await readEstimateRecord(store, record.campaignId);
  if (existing?.pilot && existing.specHash === record.specHash && !record.pilot) return false;
  await store.write(campaignKey(record.campaignId, ESTIMATE_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return true;
}
