import { ApplicationFailure, Context } from '@temporalio/activity';
import { isBadUpstreamResponse, type UpstreamError } from '../../contracts/errors';
import { BAD_REPLY_MAX_ATTEMPTS } from '../../contracts/limits';

/**
 * A model server's error as the activity failure Temporal retries or not: `unavailable` when the server may answer
 * on a later attempt (its Retry-After becomes the next retry's delay), `rejected` when it never will. A 200 with a
 * body that is not the API's reply is retried until attempt BAD_REPLY_MAX_ATTEMPTS, whose bad reply is final.
 */
export function upstreamFailure(
  err: UpstreamError,
  types: { unavailable: string; rejected: string },
): ApplicationFailure {
  const { attempt } = Context.current().info;
  const lastBadReply = isBadUpstreamResponse(err) && attempt >= BAD_REPLY_MAX_ATTEMPTS;
  const retryable = err.retryable && !lastBadReply;
  const verdict = lastBadReply ? ` (the same on ${attempt} attempts: not retried again)` : '';
  return ApplicationFailure.create({
    type: retryable ? types.unavailable : types.rejected,
    message: `${err.code}: ${err.message}${verdict}`,
    nonRetryable: !retryable,
    details: [{ statusCode: err.statusCode, code: err.code }],
    ...(retryable &&
      err.retryAfterMs !== undefined &&
      err.retryAfterMs > 0 && { nextRetryDelay: err.retryAfterMs }),
    cause: err,
  });
}
