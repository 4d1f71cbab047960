/**
 * The campaign's first phase: the spec checked (a campaign started from the Temporal CLI gets the API's checks),
 * the plan written (every item, in pages the run window reads), and, for a batch campaign, its batcher started.
 */
import {
  ApplicationFailure,
  log,
  ParentClosePolicy,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { CloudBatchRoute } from '../../../contracts/batcher';
import {
  CAMPAIGN_ID_RULE,
  CAMPAIGN_WORKFLOW_ID_PREFIX,
  campaignIdOfWorkflowId,
  CampaignFailureType,
} from '../../../contracts/campaign';
import { describeIssues, issuesOf } from '../../../contracts/campaign-issues';
import { campaignSpecSchema, type CampaignSpec } from '../../../contracts/campaign-spec';
import { cloudBatchWorkflow } from '../batcher';
import { planCampaign, providerTaskQueues } from './activities';
import type { CampaignRun } from './state';

/** A spec started from the Temporal CLI gets the API's checks: a bad one fails at once, naming the path. */
export function parseSpec(raw: CampaignSpec): CampaignSpec {
  const parsed = campaignSpecSchema().safeParse(raw);
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.nonRetryable(
    describeIssues(issuesOf(parsed.error)),
    CampaignFailureType.InvalidSpec,
  );
}

export function campaignIdOf(workflowId: string, spec: CampaignSpec): string {
  const id = campaignIdOfWorkflowId(workflowId);
  if (id === undefined) {
    throw ApplicationFailure.nonRetryable(
      `Invalid campaign workflow id ${workflowId}: it must be ${CAMPAIGN_WORKFLOW_ID_PREFIX}<campaignId>, ` +
        `where the campaignId ${CAMPAIGN_ID_RULE}`,
      CampaignFailureType.InvalidSpec,
    );
  }
  if (spec.campaignId !== undefined && spec.campaignId !== id) {
    throw ApplicationFailure.nonRetryable(
      `Invalid campaign spec: campaignId: ${spec.campaignId} differs from the workflow id's ${id}`,
      CampaignFailureType.InvalidSpec,
    );
  }
  return id;
}

/** Plans the campaign's items; the judge's queues and the batcher are set up once, by the first run. */
export async function plan(run: CampaignRun): Promise<void> {
  const { spec, campaignId, workflowId, state, route } = run;
  run.showDetails();
  const planned = await planCampaign({ campaignId, workflowId, spec });
  state.itemCount = planned.itemCount;
  if (planned.seedsFile) state.seedsFile = planned.seedsFile;
  if (spec.judge) state.taskQueues = await providerTaskQueues();
  if (route && spec.cloudBatch) await startBatcher(route, campaignId, spec);
  state.phase = 'running';
  log.info('campaign planned', { campaignId, itemCount: planned.itemCount, specHash: planned.specHash });
}

/**
 * The campaign's batcher, beside it rather than under it: a campaign run that continues-as-new must not end it
 * (ABANDON), and a later run finds it running (the start then fails as already started, which is fine).
 */
async function startBatcher(route: CloudBatchRoute, campaignId: string, spec: CampaignSpec): Promise<void> {
  try {
    await startChild(cloudBatchWorkflow, {
      workflowId: route.batcherWorkflowId,
      args: [{ campaignId, cloudBatch: spec.cloudBatch! }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Bedrock batch jobs of campaign ${campaignId}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
