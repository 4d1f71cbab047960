/**
 * The dataset phase: every item has ended, the campaign is `writing_dataset`, and it is `completed` (or `cancelled`)
 * only once its dataset is whole (the dataset activity writes that status into manifest.json). When the dataset
 * cannot be written the campaign checkpoints `failed` with the reason and fails with it.
 */
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { CampaignFailureType } from '../../../contracts/campaign';
import { writeCampaignDataset } from './activities';
import { checkpoint } from './checkpoint';
import { activityFailureOf, type CampaignRun } from './state';

export async function writeDataset(run: CampaignRun): Promise<string[]> {
  const { campaignId, state } = run;
  state.phase = 'dataset';
  state.endedAt = new Date().toISOString();
  run.showDetails();
  await checkpoint(run, state.endedAt);
  try {
    const ending = state.cancelRequested ? 'cancelled' : 'completed';
    const { files } = await writeCampaignDataset({ campaignId, status: ending });
    state.phase = 'ended';
    run.showDetails();
    return files;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = activityFailureOf(err);
    state.failure = {
      type: CampaignFailureType.DatasetIncomplete,
      message: `the dataset could not be written (${cause.type}): ${cause.message}`,
    };
    state.phase = 'ended';
    run.showDetails();
    await checkpoint(run, state.endedAt);
    throw ApplicationFailure.create({
      type: state.failure.type,
      message: state.failure.message,
      nonRetryable: true,
      cause: err instanceof Error ? err : undefined,
    });
  }
}
