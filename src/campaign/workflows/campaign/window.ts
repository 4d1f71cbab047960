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
import { activityFailureOf, type CampaignContinuation, type CampaignRun, type State } from './state';

/**
 * Continue-as-new design: a run starts about this many items (fewer when the server suggests continuing), then
 * continues-as-new with the cursor, the counts, the totals, the pause/cancel/budget state, the outcomes not yet
 * checkpointed, the items read ahead and the ids of the conversations still running, which the next run waits for.
 * Each run's history stays near a thousand events (three per child, a few per workflow task, a page of items every
 * PAGE_SIZE) whatever the item count.
 *
 * The window stays full across the boundary: a full run goes on replacing the conversations that end until it can
 * continue (its checkpoint written, every child started), and the
 * next run starts the items read ahead in its first workflow task, with no activity before it.
 */
export const ITEMS_PER_RUN = 100;
/** Items read from the plan at a time; the next page is read while at least this many are still to start. */
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
  // A new Current Version (an upgrade) ends the run at once: the next one starts on it (end.ts, continueAsNew).
  const upgrading = () => workflowInfo().targetWorkerDeploymentVersionChanged;
  const runFull = () =>
    upgrading() || startedThisRun >= ITEMS_PER_RUN || workflowInfo().continueAsNewSuggested;
  // Past ITEMS_PER_RUN the run goes on filling the window until it can continue; only an upgrade, or the server's
  // suggestion (its history grew large), stops the starts sooner.
  const canStart = () =>
    moreToStart(state) &&
    !state.paused &&
    !upgrading() &&
    !workflowInfo().continueAsNewSuggested &&
    state.running.size < concurrency;
  // A full run continues-as-new without waiting for its conversations (carried over by id), once each has started.
  const allStarted = () => [...state.running.values()].every((r) => r.handle || r.external);
  const runEnds = () =>
    moreToStart(state) ? runFull() && allStarted() && !reading.items : state.running.size === 0;

  // A full run writes no new checkpoint: waiting for it would hold the continue-as-new while the window drains,
  // and the next run writes what this one hands it.
  const checkpointWanted = () => checkpointDue(state) && !(moreToStart(state) && runFull());

  const reading = new PageReader(run, continuation?.nextItems ?? []);
  const checkpoint: BackgroundCheckpoint = {};
  if (!continuation) checkpointInBackground(run, checkpoint);
  for (const carried of continuation?.inFlight ?? []) adopt(run, carried);
  delete state.inFlight;
  delete state.nextItems;
  try {
    for (;;) {
      reading.readAhead();
      await condition(
        () =>
          !!checkpoint.failure ||
          !!reading.failure ||
          (canStart() && reading.page.length > 0) ||
          (!checkpoint.writing && (checkpointWanted() || runEnds())),
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
      if (reading.failure) throw reading.failure.error;
      // A run that has ended goes on at once, though a checkpoint is due: the next run writes it.
      if (!checkpoint.writing && runEnds()) {
        if (moreToStart(state)) state.nextItems = reading.page;
        return {};
      } else if (!checkpoint.writing && checkpointWanted()) {
        checkpointInBackground(run, checkpoint);
      } else if (canStart() && reading.page.length > 0) {
        const item = reading.page.shift()!;
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

/**
 * The items to start next, from the cursor on, read from the plan a page at a time ahead of the window (the
 * campaignItems activity, beside the loop), so that starting an item never waits for a read.
 */
class PageReader {
  /** A read in progress. */
  items?: Promise<void>;
  failure?: { error: unknown };

  constructor(
    private readonly run: CampaignRun,
    readonly page: CampaignItem[],
  ) {}

  readAhead(): void {
    const { state, campaignId } = this.run;
    const offset = state.cursor + this.page.length;
    if (this.items || this.failure || !moreToStart(state) || this.page.length >= PAGE_SIZE) return;
    if (offset >= state.itemCount) return;
    const limit = Math.min(PAGE_SIZE, state.itemCount - offset);
    this.items = campaignItems({ campaignId, offset, limit })
      .then((items) => {
        if (items.length === 0) {
          throw ApplicationFailure.nonRetryable(
            `The plan has no item ${offset} of the ${state.itemCount} it announced`,
            'CampaignPlanMismatch',
          );
        }
        this.page.push(...items);
      })
      .catch((error: unknown) => void (this.failure = { error }))
      .finally(() => (this.items = undefined));
  }
}
