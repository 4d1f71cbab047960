/** The dataset activities' failures: typed for the workflow's retry policy (it reads the ApplicationFailure type). */
import { ApplicationFailure } from '@temporalio/activity';
import { fileErrorCode, isOutputPathError } from '../../contracts/errors';
import { CampaignFailureType } from '../../contracts/campaign';
import { FailureType } from '../../contracts/conversation';

export function filesMissing(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: CampaignFailureType.FilesMissing, message, nonRetryable: true });
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
