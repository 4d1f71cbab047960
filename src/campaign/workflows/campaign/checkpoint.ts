/**
 * Checkpoints: the outcomes not yet saved and the campaign's status, written to manifest.json by the
 * checkpointCampaign activity. The run window writes one beside its loop, one at a time, so the window keeps
 * filling while manifest.json is written.
 */
import { checkpointCampaign } from './activities';
import { counts, currentStatus, type CampaignRun, type State } from './state';

/** Outcomes kept in the workflow before checkpointCampaign writes them to manifest.json: what a crash may redo. */
const CHECKPOINT_EVERY = 20;

export async function checkpoint(run: CampaignRun, endedAt?: string): Promise<void> {
  const { campaignId, workflowId, spec, state } = run;
  const status = currentStatus(state);
  const outcomes = state.unsaved;
  state.unsaved = [];
  try {
    await checkpointCampaign({
      campaignId,
      workflowId,
      spec,
      status,
      ...(state.stopReason && { stopReason: state.stopReason }),
      ...(state.failure && { failure: state.failure }),
      counts: counts(state),
      totals: state.totals,
      startedAt: state.startedAt,
      ...(endedAt && { endedAt }),
      outcomes,
      runningItems: [...state.running.keys()],
      at: new Date().toISOString(),
      ...(state.seedsFile && { seedsFile: state.seedsFile }),
    });
  } catch (err) {
    state.unsaved = [...outcomes, ...state.unsaved];
    throw err;
  }
  state.checkpointed = status;
}

/** Enough outcomes wait, or the status changed since the last checkpoint. */
export function checkpointDue(state: State): boolean {
  return (
    state.unsaved.length >= CHECKPOINT_EVERY ||
    (state.checkpointed !== undefined && state.checkpointed !== currentStatus(state))
  );
}

/** The checkpoint being written beside the loop, and the failure of the last one, if it failed. */
export interface BackgroundCheckpoint {
  writing?: Promise<void>;
  failure?: { error: unknown };
}

export function checkpointInBackground(run: CampaignRun, background: BackgroundCheckpoint): void {
  background.writing = checkpoint(run)
    .catch((error: unknown) => void (background.failure = { error }))
    .finally(() => (background.writing = undefined));
}
