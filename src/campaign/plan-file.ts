/**
 * A campaign's plan in the output store: its items in `campaigns/<campaignId>/plan.jsonl` (one CampaignItem a line,
 * in index order) and `plan.json` beside them (the spec's hash, the seeds file's digest, what it takes over from the
 * campaign it extends, the estimate made of it before it started). Written once per campaign, by whichever boundary expanded the spec first: the API or the
 * CLI before they start the workflow, else the workflow's plan activity (a start from the Temporal CLI).
 */
import { CAMPAIGN_ID_RULE, isCampaignId } from '../contracts/campaign';
import type { CampaignItem, ItemOutcome, PlanMeta } from '../contracts/campaign';
import type { SpecIssue } from '../contracts/campaign-issues';
import type { CampaignSpec } from '../contracts/campaign-spec';
import {
  campaignKey,
  MANIFEST_FILE,
  PLAN_FILE,
  PLAN_META_FILE,
  readManifest,
  readText,
} from '../output/campaign-files';
import type { OutputStore } from '../output/store';
import { readEstimateRecord } from './estimate-record';
import { specHashOf } from './identity';
import type { CampaignValidation } from './validate';

export interface CampaignPlan {
  itemCount: number;
  specHash: string;
  seedsFile?: { name: string; sha256: string };
  /** The campaign the spec extends, and how many of its items this one takes over. */
  parent?: { campaignId: string; reusedItems: number };
}

export interface PlanRequest {
  campaignId: string;
  workflowId: string;
  /** The spec as the workflow receives it (its campaignId set): its hash identifies the plan. */
  spec: CampaignSpec;
}

export type PlanResult =
  | { ok: true; plan: CampaignPlan }
  /** `otherSpec`: the campaign was planned from another spec, which keeps its plan. */
  | { ok: false; issues: SpecIssue[]; otherSpec?: boolean };

export function campaignIdIssue(campaignId: string): SpecIssue[] {
  return isCampaignId(campaignId)
    ? []
    : [{ path: 'campaignId', message: `"${campaignId}" ${CAMPAIGN_ID_RULE}` }];
}

/**
 * The campaign's plan: the one written already for the same spec (a retry, a restarted campaign, a start after the
 * API planned it), kept as it is even if the seeds file has changed since, so the campaign runs the items it was
 * planned with; else `expand()`'s items written, those the spec's `extends` (or the pilot of an estimate made of this
 * spec) takes over marked. A plan for another
 * spec under the same id is refused, and a bad spec leaves no trace in the store.
 */
export async function planOnce(
  store: OutputStore,
  { campaignId, workflowId, spec }: PlanRequest,
  expand: () => Promise<CampaignValidation>,
): Promise<PlanResult> {
  const badId = campaignIdIssue(campaignId);
  if (badId.length > 0) return { ok: false, issues: badId };
  const specHash = specHashOf(spec);
  const metaText = await readText(store, campaignKey(campaignId, PLAN_META_FILE));
  const existing = metaText === undefined ? undefined : (JSON.parse(metaText) as PlanMeta);
  if (existing && existing.specHash !== specHash) {
    return {
      ok: false,
      otherSpec: true,
      issues: [
        {
          path: '(root)',
          message: `campaign ${campaignId} was planned from another spec (sha256 ${existing.specHash}); give this spec another campaignId`,
        },
      ],
    };
  }
  if (existing) return { ok: true, plan: planOf(existing) };

  const valid = await expand();
  if (!valid.ok) return valid;
  const reusable = spec.extends ? await completedItems(store, spec.extends) : new Map<string, ItemOutcome>();
  if (!(reusable instanceof Map)) return { ok: false, issues: reusable };
  // An estimate made of this very spec: recorded, and its pilot's items taken over like a parent's.
  const record = await readEstimateRecord(store, campaignId);
  const estimate = record?.specHash === specHash ? record : undefined;
  // A pilot removed from the store since leaves nothing to take over: its items run again.
  const pilotId = estimate?.pilot?.campaignId;
  const fromPilot =
    pilotId && (await store.exists(campaignKey(pilotId, MANIFEST_FILE)))
      ? await completedItems(store, pilotId)
      : new Map<string, ItemOutcome>();
  if (!(fromPilot instanceof Map)) return { ok: false, issues: fromPilot };
  let reusedItems = 0;
  let pilotReusedItems = 0;
  const items = valid.items.map((item): CampaignItem => {
    const reuse = reusable.get(item.itemHash);
    if (reuse) {
      reusedItems++;
      return { ...item, reuse };
    }
    const piloted = fromPilot.get(item.itemHash);
    if (!piloted) return item;
    pilotReusedItems++;
    return { ...item, reuse: piloted };
  });
  await store.write(
    campaignKey(campaignId, PLAN_FILE),
    items.map((item) => `${JSON.stringify(item)}\n`).join(''),
  );
  const meta: PlanMeta = {
    campaignId,
    workflowId,
    specHash,
    itemCount: items.length,
    ...(valid.seedsFile ? { seedsFile: valid.seedsFile } : {}),
    ...(spec.extends && { parent: { campaignId: spec.extends, reusedItems } }),
    ...(estimate && { estimate: { ...estimate, ...(estimate.pilot && { pilotReusedItems }) } }),
  };
  await store.write(campaignKey(campaignId, PLAN_META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  return { ok: true, plan: planOf(meta) };
}

/**
 * The completed items of the campaign `parentId`, from its manifest, by item hash, each as this campaign records
 * it: taken from that campaign (or from the one it took it from). A parent with no manifest in OUTPUT_DIR is an
 * issue naming `extends`.
 */
async function completedItems(
  store: OutputStore,
  parentId: string,
): Promise<Map<string, ItemOutcome> | SpecIssue[]> {
  const parent = isCampaignId(parentId) ? await readManifest(store, parentId) : undefined;
  if (parent === undefined) {
    return [
      { path: 'extends', message: `campaign ${parentId} has no manifest in OUTPUT_DIR (has it run here?)` },
    ];
  }
  const completed = new Map<string, ItemOutcome>();
  for (const item of parent.items) {
    const outcome = item.outcome;
    if (item.state !== 'completed' || !outcome?.jsonlPath || outcome.turns === 0) continue;
    completed.set(item.itemHash, { ...outcome, reusedFrom: outcome.reusedFrom ?? parent.campaignId });
  }
  return completed;
}

function planOf({ itemCount, specHash, seedsFile, parent }: CampaignPlan): CampaignPlan {
  return { itemCount, specHash, ...(seedsFile ? { seedsFile } : {}), ...(parent ? { parent } : {}) };
}
