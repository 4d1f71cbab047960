/**
 * How a campaign run ends: full, it continues as new (its conversations still running, carried by id); with every
 * item ended, the batcher is told, the items never started are skipped, and the dataset phase follows.
 */
import { getExternalWorkflowHandle, log, makeContinueAsNewFunc } from '@temporalio/workflow';
import { finishCloudBatchSignal } from '../../../contracts/batcher';
import { CAMPAIGN_WORKFLOW_TASK_TIMEOUT } from '../../../contracts/campaign';
import type { CampaignResult, CampaignRun, CampaignWorkflow } from './state';
import { counts, currentStatus } from './state';

/**
 * The next run takes the cursor, the counts and totals, the signals so far, the outcomes not yet checkpointed, the
 * items read ahead and the conversations still running.
 */
export async function continueAsNew(run: CampaignRun): Promise<never> {
  const { state, campaignId } = run;
  log.info('continuing as new', { campaignId, cursor: state.cursor, runs: state.runs + 1 });
  // The next run's task timeout is ours even when the campaign was started without it (the Temporal CLI).
  const continueWith = makeContinueAsNewFunc<CampaignWorkflow>({
    workflowTaskTimeout: CAMPAIGN_WORKFLOW_TASK_TIMEOUT,
    // Each run is pinned to its build; the next starts on the Current Version (an upgrade moves here).
    initialVersioningBehavior: 'AUTO_UPGRADE',
  });
  return continueWith(run.spec, {
    itemCount: state.itemCount,
    startedAt: state.startedAt,
    cursor: state.cursor,
    counts: state.counts,
    totals: state.totals,
    paused: state.paused,
    cancelRequested: state.cancelRequested,
    ...(state.stopReason && { stopReason: state.stopReason }),
    unsaved: state.unsaved,
    ...(state.checkpointed && { checkpointed: state.checkpointed }),
    ...(state.taskQueues && { taskQueues: state.taskQueues }),
    ...(state.seedsFile && { seedsFile: state.seedsFile }),
    runs: state.runs + 1,
    ...(state.running.size > 0 && {
      inFlight: [...state.running.values()].map((r) => ({
        itemHash: r.itemHash,
        conversationId: r.conversationId,
        startedAt: r.startedAt,
      })),
    }),
    ...(state.nextItems && state.nextItems.length > 0 && { nextItems: state.nextItems }),
  });
}

/** Tells a batch campaign's batcher that no conversation will join any more (`cancel`: stop its jobs now). */
export async function finishBatcher(run: CampaignRun, cancel: boolean): Promise<void> {
  if (!run.route) return;
  await getExternalWorkflowHandle(run.route.batcherWorkflowId)
    .signal(finishCloudBatchSignal, { cancel })
    .catch((err: unknown) =>
      log.warn('could not reach the batcher', { campaignId: run.campaignId, error: String(err) }),
    );
}

/** Every item has ended or will never start: those never started (a budget or a cancel stopped them) are skipped. */
export async function endItems(run: CampaignRun, cancelled: boolean): Promise<void> {
  const { state } = run;
  await finishBatcher(run, state.cancelRequested || cancelled);
  state.counts.skipped += state.itemCount - state.cursor;
  state.cursor = state.itemCount;
}

export function result(run: CampaignRun, files: string[]): CampaignResult {
  const { campaignId, workflowId, state } = run;
  return {
    campaignId,
    workflowId,
    status: currentStatus(state),
    ...(state.stopReason && { stopReason: state.stopReason }),
    itemCount: state.itemCount,
    counts: counts(state),
    totals: state.totals,
    files,
  };
}
