/** The dataset activities' failures: typed for the workflow's retry policy (it reads the ApplicationFailure type). */
import { ApplicationFailure } from '@temporalio/activity';
import { fileErrorCode, isOutputPathError } from '../../contracts/errors';
import { CampaignFailureType } from '../../contracts/campaign';
import { FailureType } from '../../contracts/conversation';

/** What a missing campaign file most often means, said beside it. */
export const SHARED_STORE_HINT =
  'workers on several machines write to their own OUTPUT_DIR unless they share one store: set OUTPUT_URL';

export function filesMissing(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: CampaignFailureType.FilesMissing, message, nonRetryable: true });
}

/** Missing transcripts a failure's message names; its details hold them all. */
const MISSING_SHOWN = 10;

/** Transcripts the dataset needs are not in the store (yet): retryable; `details` lists every one. */
export function transcriptsMissing(store: string, missing: readonly string[]): ApplicationFailure {
  const shown = missing.slice(0, MISSING_SHOWN);
  const more = missing.length - shown.length;
  return ApplicationFailure.create({
    type: CampaignFailureType.TranscriptsMissing,
    message:
      `${missing.length} transcript${missing.length === 1 ? '' : 's'} the dataset needs ` +
      `${missing.length === 1 ? 'is' : 'are'} not in ${store}: ${shown.join(', ')}` +
      (more > 0 ? ` and ${more} more` : '') +
      ` (${SHARED_STORE_HINT})`,
    details: [missing],
    nonRetryable: false,
  });
}

/**
 * A path that can never be written (a symlink or a non-folder on the way, an id that names no folder) is
 * permanent, as for the transcript export; a full disk or a permission fixed meanwhile is worth a retry.
 */
export function toFileFailure(err: unknown): unknown {
  if (isOutputPathError(err)) {
    return ApplicationFailure.create({
      type: FailureType.InvalidOutputPath,
      message: err.message,
      nonRetryable: true,
      cause: err,
    });
  }
  if (err instanceof SyntaxError) {
    return ApplicationFailure.create({
      type: CampaignFailureType.FilesMissing,
      message: `a campaign file is not valid JSON: ${err.message}`,
      nonRetryable: true,
      cause: err,
    });
  }
  return fileErrorCode(err) === 'ENOTDIR' ? ApplicationFailure.fromError(err, { nonRetryable: true }) : err;
}
