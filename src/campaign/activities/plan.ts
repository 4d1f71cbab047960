/**
 * The plan activities: `planCampaign` makes sure the campaign has its plan in the output store (see plan-file.ts),
 * and `campaignItems` reads it back page by page, so the workflow never holds the whole expansion in its history.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createInterface } from 'node:readline';
import { CampaignFailureType } from '../../contracts/campaign';
import type { CampaignItem } from '../../contracts/campaign';
import { describeIssues } from '../../contracts/campaign-issues';
import type { SpecIssue } from '../../contracts/campaign-issues';
import type { CampaignSpec } from '../../contracts/campaign-spec';
import { campaignKey, PLAN_FILE } from '../../output/campaign-files';
import type { OutputStore } from '../../output/store';
import { campaignIdIssue, planOnce, type CampaignPlan } from '../plan-file';
import { resolveCampaign } from '../validate';

export type { CampaignPlan } from '../plan-file';

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
  const issues = campaignIdIssue(campaignId);
  if (issues.length > 0) throw invalidSpec(issues);
  return campaignId;
}

export function makePlanActivities({ store, inputDir }: PlanDeps) {
  const keyOf = (campaignId: string, name: string) => campaignKey(checkedCampaignId(campaignId), name);

  /**
   * The campaign's plan (see planOnce): the one the API or the CLI wrote when they started it, or, for a campaign
   * started from the Temporal CLI, the spec resolved here (seeds file in INPUT_DIR, expansion; the workflow checked
   * the schema) and written. A spec that cannot be expanded is a non-retryable `InvalidCampaignSpec` naming the path.
   */
  async function planCampaign({ campaignId, workflowId, spec }: PlanCampaignInput): Promise<CampaignPlan> {
    const planned = await planOnce(store, { campaignId, workflowId, spec }, () =>
      resolveCampaign(spec, { inputDir, campaignId }),
    );
    if (!planned.ok) throw invalidSpec(planned.issues);
    return planned.plan;
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
