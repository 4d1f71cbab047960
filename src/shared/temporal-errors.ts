/** How the Conversation API and the CLIs classify failures of Temporal client calls. */
import { status } from '@grpc/grpc-js';
import {
  ApplicationFailure,
  CancelledFailure,
  isGrpcServiceError,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { HttpError, NotFoundError } from '../contracts/errors';

/** Temporal did not answer: the call (or the gRPC error it wraps) failed as UNAVAILABLE or DEADLINE_EXCEEDED. */
export function isTemporalUnavailable(err: unknown): boolean {
  const candidates = [err, (err as { cause?: unknown } | null | undefined)?.cause];
  return candidates.some(
    (e) => isGrpcServiceError(e) && (e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED),
  );
}

/** How a workflow run closed other than by completing, as Temporal names the status. */
export type UnsuccessfulCloseStatus = 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT';

export interface UnsuccessfulClose {
  status: UnsuccessfulCloseStatus;
  error: { type: string; message: string };
}

/**
 * For the error `handle.result()` throws when the run did not complete (failed, cancelled, terminated, timed
 * out): how it closed and why. Undefined for any other error (not found, Temporal unreachable, …).
 */
export function unsuccessfulCloseOf(err: unknown): UnsuccessfulClose | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  const status: UnsuccessfulCloseStatus =
    cause instanceof CancelledFailure
      ? 'CANCELLED'
      : cause instanceof TerminatedFailure
        ? 'TERMINATED'
        : cause instanceof TimeoutFailure
          ? 'TIMED_OUT'
          : 'FAILED';
  const type = cause instanceof ApplicationFailure ? (cause.type ?? cause.name) : (cause?.name ?? err.name);
  return { status, error: { type, message: cause?.message || err.message } };
}

/**
 * A `.catch` for the APIs' Temporal client calls: an unknown workflow id → 404 naming the `thing` and its id;
 * Temporal unreachable → 503; anything else is rethrown (a 500: ours).
 */
export function temporalHttpErrors(thing: 'conversation' | 'campaign', id: string) {
  return (err: unknown): never => {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`No ${thing} with id ${id}`);
    if (isTemporalUnavailable(err)) {
      throw new HttpError(503, 'TEMPORAL_UNAVAILABLE', 'Temporal is not reachable', undefined, {
        cause: err,
      });
    }
    throw err;
  };
}
