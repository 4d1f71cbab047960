/**
 * The plan activities: `planCampaign` checks a campaign's spec and writes its items to
 * `campaigns/<campaignId>/plan.jsonl` in the output store (one CampaignItem a line, in index order), and `campaignItems`
 * reads them back page by page, so the workflow never holds the whole expansion in its history.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createInterface } from 'node:readline';
import { CAMPAIGN_ID_RULE, CampaignFailureType, isCampaignId } from '../../contracts/campaign';
import type { CampaignItem, ItemOutcome, PlanMeta } from '../../contracts/campaign';
import { describeIssues } from '../../contracts/campaign-issues';
import type { SpecIssue } from '../../contracts/campaign-issues';
import type { CampaignSpec } from '../../contracts/campaign-spec';
import {
  campaignKey,
  MANIFEST_FILE,
  PLAN_FILE,
  PLAN_META_FILE,
  readManifest,
  readText,
} from '../../output/campaign-files';
import type { OutputStore } from '../../output/store';
import { specHashOf } from '../identity';
import { readEstimateRecord } from '../estimate-record';
import { resolveCampaign } from '../validate';

/** A page of items stays well below Temporal's 2 MB payload limit whatever `limit` asks. */
export const MAX_ITEMS_PAGE_BYTES = 1024 * 1024;

export interface PlanDeps {
  /** OUTPUT_DIR or OUTPUT_URL. */
  store: OutputStore;
  /** INPUT_DIR, where a spec's seedsFile is read. */
  inputDir: string;
}

export interface PlanCampaignInput {
  campaignId: string;
  workflowId: string;
  /** The spec as the workflow checked it against the schema at its start. */
  spec: CampaignSpec;
}

export interface CampaignPlan {
  itemCount: number;
  specHash: string;
  seedsFile?: { name: string; sha256: string };
  /** The campaign the spec extends, and how many of its items this one takes over. */
  parent?: { campaignId: string; reusedItems: number };
}

export interface CampaignItemsInput {
  campaignId: string;
  offset: number;
  limit: number;
}

function invalidSpec(issues: SpecIssue[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: CampaignFailureType.InvalidSpec,
    message: describeIssues(issues),
    details: [issues],
    nonRetryable: true,
  });
}

function checkedCampaignId(campaignId: string): string {
  if (isCampaignId(campaignId)) return campaignId;
  throw invalidSpec([{ path: 'campaignId', message: `"${campaignId}" ${CAMPAIGN_ID_RULE}` }]);
}

export function makePlanActivities({ store, inputDir }: PlanDeps) {
  const keyOf = (campaignId: string, name: string) => campaignKey(checkedCampaignId(campaignId), name);

  /**
   * Resolves the spec (seeds file in INPUT_DIR, expansion; the workflow checked the schema) and writes the plan
   * atomically; a spec that cannot be expanded is a non-retryable `InvalidCampaignSpec` naming the path. A plan already written for the same spec is kept as it
   * is (a retry, a restarted campaign), even if the seeds file has changed since: the campaign runs the items it
   * was planned with. A plan for another spec under the same id is refused.
   */
  async function planCampaign({ campaignId, workflowId, spec }: PlanCampaignInput): Promise<CampaignPlan> {
    const specHash = specHashOf(spec);
    // Read where it would be, creating nothing: a bad spec leaves no trace in the store.
    const metaText = await readText(store, keyOf(campaignId, PLAN_META_FILE));
    const existing = metaText === undefined ? undefined : (JSON.parse(metaText) as PlanMeta);
    if (existing && existing.specHash !== specHash) {
      throw invalidSpec([
        {
          path: '(root)',
          message: `campaign ${campaignId} was planned from another spec (sha256 ${existing.specHash}); give this spec another campaignId`,
        },
      ]);
    }
    if (existing) return planOf(existing);

    const valid = await resolveCampaign(spec, { inputDir, campaignId });
    if (!valid.ok) throw invalidSpec(valid.issues);
    const reusable = spec.extends ? await completedItems(spec.extends) : new Map<string, ItemOutcome>();
    // An estimate made of this very spec: recorded, and its pilot's items taken over like a parent's.
    const record = await readEstimateRecord(store, campaignId);
    const estimate = record?.specHash === specHash ? record : undefined;
    // A pilot removed from the store since leaves nothing to take over: its items run again.
    const pilotId = estimate?.pilot?.campaignId;
    const fromPilot =
      pilotId && (await store.exists(keyOf(pilotId, MANIFEST_FILE)))
        ? await completedItems(pilotId)
        : new Map<string, ItemOutcome>();
    let reusedItems = 0;
    let pilotReusedItems = 0;
    const items = valid.items.map((item) => {
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
      keyOf(campaignId, PLAN_FILE),
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
    await store.write(keyOf(campaignId, PLAN_META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    return planOf(meta);
  }

  /**
   * The completed items of the campaign `parentId`, from its manifest, by item hash, each as this campaign records
   * it: taken from that campaign (or from the one it took it from). A parent with no manifest in OUTPUT_DIR is an
   * InvalidCampaignSpec naming `extends`.
   */
  async function completedItems(parentId: string): Promise<Map<string, ItemOutcome>> {
    const parent = await readManifest(store, checkedCampaignId(parentId));
    if (parent === undefined) {
      throw invalidSpec([
        { path: 'extends', message: `campaign ${parentId} has no manifest in OUTPUT_DIR (has it run here?)` },
      ]);
    }
    const completed = new Map<string, ItemOutcome>();
    for (const item of parent.items) {
      const outcome = item.outcome;
      if (item.state !== 'completed' || !outcome?.jsonlPath || outcome.turns === 0) continue;
      completed.set(item.itemHash, { ...outcome, reusedFrom: outcome.reusedFrom ?? parent.campaignId });
    }
    return completed;
  }

  /**
   * Items `offset` .. `offset + limit − 1` of the plan, in index order. A page holds at most
   * MAX_ITEMS_PAGE_BYTES of JSON (and at least one item), so it may be shorter than `limit`: the end of the plan
   * is an empty page, or `offset` reaching the plan's itemCount.
   */
  async function campaignItems({ campaignId, offset, limit }: CampaignItemsInput): Promise<CampaignItem[]> {
    const plan = await store.openRead(keyOf(campaignId, PLAN_FILE));
    if (!plan) {
      throw ApplicationFailure.create({
        type: CampaignFailureType.PlanMissing,
        message: `campaign ${campaignId} has no plan (${PLAN_FILE}): planCampaign runs first`,
        nonRetryable: true,
      });
    }
    const items: CampaignItem[] = [];
    let bytes = 0;
    const lines = createInterface({ input: plan.body.setEncoding('utf8'), crlfDelay: Infinity });
    try {
      let index = 0;
      for await (const line of lines) {
        if (line === '') continue;
        if (index++ < offset) continue;
        if (items.length >= limit || (items.length > 0 && bytes + line.length > MAX_ITEMS_PAGE_BYTES)) break;
        bytes += line.length;
        items.push(JSON.parse(line) as CampaignItem);
      }
    } finally {
      lines.close();
      plan.body.destroy();
    }
    return items;
  }

  return { planCampaign, campaignItems };
}

function planOf({ itemCount, specHash, seedsFile, parent }: CampaignPlan): CampaignPlan {
  return { itemCount, specHash, ...(seedsFile ? { seedsFile } : {}), ...(parent ? { parent } : {}) };
}
