/** The dataset activities' failures: typed for the workflow's retry policy (it reads the ApplicationFailure type). */
import { ApplicationFailure } from '@temporalio/activity';
import { fileErrorCode, isOutputPathError } from '../../contracts/errors';
import { FailureType } from '../../contracts/conversation';

export const DatasetFailureType = {
  /** plan.jsonl or manifest.json is not there: the activities ran out of order; retrying cannot help. */
  FilesMissing: 'CampaignFilesMissing',
  /** The judge's reply held no score; retried a few times, then recorded as `score: null`. */
  JudgeUnparsable: 'JudgeScoreUnparsable',
} as const;

export function filesMissing(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: DatasetFailureType.FilesMissing, message, nonRetryable: true });
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
      type: DatasetFailureType.FilesMissing,
      message: `a campaign file is not valid JSON: ${err.message}`,
      nonRetryable: true,
      cause: err,
    });
  }
  return fileErrorCode(err) === 'ENOTDIR' ? ApplicationFailure.fromError(err, { nonRetryable: true }) : err;
}
