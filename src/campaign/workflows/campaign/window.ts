/**
 * The run window: items are started from the plan, a page at a time, while fewer than `concurrency` run; the
 * conversations carried over from the previous run are waited for; checkpoints are written beside the loop. The
 * window ends when every item has ended, or when the run is full (it then continues as new, its conversations
 * still running, carried by id).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignItem } from '../../../contracts/campaign';
import { campaignItems } from './activities';
import { checkpointDue, checkpointInBackground, type BackgroundCheckpoint } from './checkpoint';
import { adopt, launch } from './conversations';
import {
  activityFailureOf,
  currentStatus,
  type CampaignContinuation,
  type CampaignRun,
  type State,
} from './state';

/**
 * Continue-as-new design: a run starts at most this many items (fewer when the server suggests continuing), then
 * checkpoints and continues-as-new with the cursor, the counts, the totals, the pause/cancel/budget state and the
 * ids of the conversations still running, which the next run waits for. Each run's history stays near a thousand
 * events (three per child, a few per workflow task, a page of items every PAGE_SIZE) whatever the item count.
 */
export const ITEMS_PER_RUN = 100;
const PAGE_SIZE = 50;

/** Items of the plan not started yet, and nothing (a budget, a cancel) stopped the campaign. */
export function moreToStart(state: State): boolean {
  return !state.stopReason && state.cursor < state.itemCount;
}

/**
 * Runs the window until the run ends. Cancelled through Temporal (`temporal workflow cancel`, the Web UI) rather
 * than by the cancel signal, it ends the same way: the conversations cancelled (each exports what it said), and
 * it returns the cancellation for the workflow to report after the last checkpoint and the dataset.
 */
export async function runWindow(
  run: CampaignRun,
  continuation: CampaignContinuation | undefined,
): Promise<{ cancelled?: unknown }> {
  const { state, concurrency, campaignId } = run;
  let startedThisRun = 0;
  // A new Current Version (an upgrade) also ends the run: the next one starts on it (end.ts, continueAsNew).
  const runFull = () =>
    startedThisRun >= ITEMS_PER_RUN ||
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().targetWorkerDeploymentVersionChanged;
  const canStart = () =>
    moreToStart(state) && !state.paused && !runFull() && state.running.size < concurrency;
  // A full run continues-as-new without waiting for its conversations (carried over by id), once each has started.
  const allStarted = () => [...state.running.values()].every((r) => r.handle || r.external);
  const runEnds = () => (moreToStart(state) ? runFull() && allStarted() : state.running.size === 0);

  let page: CampaignItem[] = [];
  const checkpoint: BackgroundCheckpoint = {};
  // The previous run checkpointed before continuing: a status change from there on is worth a checkpoint.
  if (continuation) state.checkpointed = currentStatus(state);
  else checkpointInBackground(run, checkpoint);
  for (const carried of continuation?.inFlight ?? []) adopt(run, carried);
  delete state.inFlight;
  try {
    for (;;) {
      await condition(
        () =>
          !!checkpoint.failure || canStart() || (!checkpoint.writing && (checkpointDue(state) || runEnds())),
      );
      if (checkpoint.failure) {
        // The status says why the workflow fails: the checkpoint could not write the manifest, so nothing else can.
        const cause = activityFailureOf(checkpoint.failure.error);
        state.failure = { type: cause.type, message: `a checkpoint failed: ${cause.message}` };
        state.phase = 'ended';
        throw ApplicationFailure.create({
          ...state.failure,
          nonRetryable: true,
          cause: checkpoint.failure.error instanceof Error ? checkpoint.failure.error : undefined,
        });
      }
      // A run that has ended goes on at once, though a checkpoint is due: the continue-as-new writes one, and
      // checkpointing first while conversations keep ending (each making the next one due) drained the window.
      if (!checkpoint.writing && runEnds()) {
        return {};
      } else if (!checkpoint.writing && checkpointDue(state)) {
        checkpointInBackground(run, checkpoint);
      } else if (canStart() && page.length === 0) {
        const limit = Math.min(PAGE_SIZE, ITEMS_PER_RUN - startedThisRun, state.itemCount - state.cursor);
        page = await campaignItems({ campaignId, offset: state.cursor, limit });
        if (page.length === 0) {
          throw ApplicationFailure.nonRetryable(
            `The plan has no item ${state.cursor} of the ${state.itemCount} it announced`,
            'CampaignPlanMismatch',
          );
        }
      } else if (canStart()) {
        const item = page.shift()!;
        state.cursor += 1;
        startedThisRun += 1;
        launch(run, item);
        run.showDetails();
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    log.info('campaign workflow cancelled: ending as cancelled, with its checkpoint and dataset', {
      campaignId,
    });
    state.cancelRequested = true;
    state.stopReason = 'cancelled';
    await CancellationScope.nonCancellable(async () => {
      // This run's own conversations are cancelled with its scope; those carried over are reached by id.
      for (const conversation of state.running.values()) {
        await conversation.external?.cancel().catch((e: unknown) => {
          log.debug('cancel not delivered', {
            conversationId: conversation.conversationId,
            error: String(e),
          });
        });
      }
      await condition(() => state.running.size === 0 && !checkpoint.writing);
    });
    return { cancelled: err };
  }
}
