import { CancellationScope, log, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { cloudBatchWorkflowId, type CloudBatchRoute } from '../../../contracts/batcher';
import {
  campaignStatusQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../../../contracts/campaign';
import { DEFAULT_CAMPAIGN_CONCURRENCY, type CampaignSpec } from '../../../contracts/campaign-spec';
import { pauseSignal, resumeSignal } from '../../../contracts/conversation';
import { signalRunning } from './conversations';
import { writeDataset } from './dataset';
import { continueAsNew, endItems, finishBatcher, result } from './end';
import { campaignIdOf, parseSpec, plan } from './plan';
import {
  currentDetails,
  itemsOver,
  statusView,
  type CampaignContinuation,
  type CampaignResult,
  type CampaignRun,
  type State,
} from './state';
import { moreToStart, runWindow } from './window';

export type { CampaignContinuation, CampaignResult, InFlight } from './state';
export { ITEMS_PER_RUN } from './window';

/**
 * Runs every item of a campaign spec as a child conversationWorkflow (`campaign-<campaignId>-<itemHash>`), at most
 * `concurrency` at a time, recording what became of each; then writes the dataset. The workflow id is
 * `campaign-<campaignId>`. An item whose conversation already exists (a resubmitted spec, a reset) is recorded
 * from that conversation's result, never run again. `continuation` is internal (see ITEMS_PER_RUN).
 *
 * Its phases: plan (first run only) → run window → continue as new, or: dataset → end.
 */
export async function campaignWorkflow(
  rawSpec: CampaignSpec,
  continuation?: CampaignContinuation,
): Promise<CampaignResult> {
  const run = start(rawSpec, continuation);
  listen(run);
  if (!continuation) await plan(run);
  run.showDetails();

  const { cancelled } = await runWindow(run, continuation);
  if (moreToStart(run.state)) return continueAsNew(run);

  const finish = async () => {
    await endItems(run, cancelled !== undefined);
    return writeDataset(run);
  };
  const files = cancelled ? await CancellationScope.nonCancellable(finish) : await finish();
  if (cancelled) throw cancelled;
  return result(run, files);
}

function start(rawSpec: CampaignSpec, continuation: CampaignContinuation | undefined): CampaignRun {
  // Checked once, where the campaign comes in: a run that continued as new has the first run's checked spec.
  const spec = continuation ? rawSpec : parseSpec(rawSpec);
  const { workflowId } = workflowInfo();
  const campaignId = campaignIdOf(workflowId, spec);
  const state: State = {
    itemCount: 0,
    startedAt: workflowInfo().startTime.toISOString(),
    cursor: 0,
    counts: { completed: 0, failed: 0, skipped: 0 },
    totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, turns: 0 },
    paused: false,
    cancelRequested: false,
    unsaved: [],
    runs: 0,
    ...continuation,
    running: new Map(),
    phase: continuation ? 'running' : 'planning',
  };
  const route: CloudBatchRoute | undefined = spec.cloudBatch && {
    batcherWorkflowId: cloudBatchWorkflowId(workflowId),
    campaignId,
    inputS3Uri: spec.cloudBatch.inputS3Uri,
    outputS3Uri: spec.cloudBatch.outputS3Uri,
  };
  const run: CampaignRun = {
    spec,
    campaignId,
    workflowId,
    concurrency: spec.concurrency ?? DEFAULT_CAMPAIGN_CONCURRENCY,
    state,
    route,
    showDetails: () => setCurrentDetails(currentDetails(run)),
  };
  return run;
}

/** The status query, and pause, resume and cancel, passed on to the running conversations. */
function listen(run: CampaignRun): void {
  const { state } = run;
  setHandler(campaignStatusQuery, () => statusView(run));
  setHandler(pauseCampaignSignal, () => {
    if (state.paused || itemsOver(state)) return;
    state.paused = true;
    signalRunning(state, (h) => h.signal(pauseSignal));
    run.showDetails();
  });
  setHandler(resumeCampaignSignal, () => {
    if (!state.paused || itemsOver(state)) return;
    state.paused = false;
    signalRunning(state, (h) => h.signal(resumeSignal));
    run.showDetails();
  });
  setHandler(cancelCampaignSignal, () => {
    if (state.cancelRequested || itemsOver(state)) return;
    state.cancelRequested = true;
    state.stopReason = 'cancelled';
    // Each conversation exports what it said before it reports its cancellation (WAIT_CANCELLATION_COMPLETED).
    for (const conversation of state.running.values()) {
      conversation.scope.cancel();
      conversation.external?.cancel().catch((err: unknown) => {
        log.debug('cancel not delivered', {
          conversationId: conversation.conversationId,
          error: String(err),
        });
      });
    }
    // The batcher stops the jobs in flight (StopModelInvocationJob): nobody waits for them any more.
    void finishBatcher(run, true);
    run.showDetails();
  });
}
