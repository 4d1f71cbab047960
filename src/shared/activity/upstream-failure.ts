import { ApplicationFailure } from '@temporalio/activity';
import type { UpstreamError } from '../../contracts/errors';

/**
 * A model server's error as the activity failure Temporal retries or not: `unavailable` when the server may answer
 * on a later attempt (its Retry-After becomes the next retry's delay), `rejected` when it never will.
 */
export function upstreamFailure(
  err: UpstreamError,
  types: { unavailable: string; rejected: string },
): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.retryable ? types.unavailable : types.rejected,
    message: `${err.code}: ${err.message}`,
    nonRetryable: !err.retryable,
    details: [{ statusCode: err.statusCode, code: err.code }],
    ...(err.retryable &&
      err.retryAfterMs !== undefined &&
      err.retryAfterMs > 0 && { nextRetryDelay: err.retryAfterMs }),
    cause: err,
  });
}
