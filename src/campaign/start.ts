/**
 * Starting a campaign, shared by the Conversation API and the CLI: one workflow id per campaign, and a
 * resubmission (the same campaignId, or the same spec when no id is given) answers with the campaign that
 * exists instead of starting anything.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { campaignWorkflowId } from '../contracts/campaign';
import { specHashOf } from './identity';
import type { CampaignSpec } from '../contracts/campaign-spec';
import { CAMPAIGN_WORKFLOW_TASK_TIMEOUT, CAMPAIGN_WORKFLOW_TYPE } from '../contracts/campaign';
import type { SpecIssue } from '../contracts/campaign-issues';
import type { OutputStore } from '../output/store';
import { planOnce } from './plan-file';
import type { ValidCampaign } from './validate';

/** What the campaign workflow's memo holds: the hash of the spec it was started with. */
export interface CampaignMemo {
  specHash?: string;
}

export interface StartedCampaign {
  handle: WorkflowHandle;
  campaignId: string;
  workflowId: string;
  runId: string;
  /** `RUNNING` for a new campaign; the existing run's status otherwise. */
  status: string;
  /** True when the campaign existed already: nothing was started. */
  existing: boolean;
  /** For an existing campaign: whether it was started with this same spec (unknown without its memo). */
  sameSpec?: boolean;
}

/** One line for the Web UI's workflow list: the campaign's name and size. */
export function campaignSummary(spec: CampaignSpec, itemCount: number): string {
  const name = spec.name ? `"${spec.name.replace(/\s+/g, ' ')}"` : 'campaign';
  return `${name} · ${itemCount} conversation${itemCount === 1 ? '' : 's'}`;
}

/** Markdown for the Web UI's details: how the campaign was made up. */
export function campaignDetails(campaign: ValidCampaign): string {
  const { spec, items } = campaign;
  const seeds = spec.seedsFile
    ? `${spec.seedsFile} (sha256 ${campaign.seedsFile?.sha256.slice(0, 12)}…)`
    : spec.seeds?.length;
  const rows: [string, unknown][] = [
    ['campaign id', campaign.campaignId],
    ['items', items.length],
    ['seeds', seeds],
    ['pairs', spec.pairs.length],
    ['grid', spec.grid],
    ['repeats', spec.repeats ?? 1],
    ['concurrency', spec.concurrency],
    ['budget', spec.budget],
    ['judge', spec.judge ? `${spec.judge.side} ${spec.judge.model}` : undefined],
  ];
  return rows
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `- **${name}**: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
}

/**
 * The workflow's input: the id the items were expanded with travels in the spec, so a plan made from it has the
 * same items, and its hash is the one the plan records.
 */
function workflowInput({ spec, campaignId }: ValidCampaign): CampaignSpec {
  return { ...spec, campaignId };
}

/**
 * Writes the campaign's plan from the items the caller expanded (before it starts the workflow), so the workflow's
 * plan activity finds it instead of expanding the spec again. The spec's remaining issues, if any: the campaign it
 * extends has no manifest here. None when another spec planned this campaignId: the start answers with it.
 */
export async function writeCampaignPlan(store: OutputStore, campaign: ValidCampaign): Promise<SpecIssue[]> {
  const { campaignId } = campaign;
  const planned = await planOnce(
    store,
    { campaignId, workflowId: campaignWorkflowId(campaignId), spec: workflowInput(campaign) },
    () => Promise.resolve(campaign),
  );
  return planned.ok || planned.otherSpec ? [] : planned.issues;
}

/**
 * Starts `campaignWorkflow` with the id `campaign-<campaignId>` and the validated spec as its one argument. An id
 * in use, running or closed, is never started again (REJECT_DUPLICATE; FAIL on a running one, so the start says
 * it existed): the answer is then that campaign.
 */
export async function startCampaign(
  client: Pick<Client, 'workflow'>,
  taskQueue: string,
  campaign: ValidCampaign,
): Promise<StartedCampaign> {
  const { campaignId, spec } = campaign;
  const workflowId = campaignWorkflowId(campaignId);
  const input = workflowInput(campaign);
  const specHash = specHashOf(input);
  try {
    const handle = await client.workflow.start(CAMPAIGN_WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowTaskTimeout: CAMPAIGN_WORKFLOW_TASK_TIMEOUT,
      memo: { specHash } satisfies CampaignMemo,
      staticSummary: campaignSummary(spec, campaign.items.length),
      staticDetails: campaignDetails(campaign),
    });
    return {
      handle,
      campaignId,
      workflowId,
      runId: handle.firstExecutionRunId,
      status: 'RUNNING',
      existing: false,
    };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const memo = (description.memo ?? {}) as CampaignMemo;
    return {
      handle,
      campaignId,
      workflowId,
      runId: description.runId,
      status: description.status.name,
      existing: true,
      ...(memo.specHash === undefined ? {} : { sameSpec: memo.specHash === specHash }),
    };
  }
}
