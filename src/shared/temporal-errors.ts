/** How the Conversation API and the CLIs classify failures of Temporal client calls. */
import { status } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';

/** Temporal did not answer: the call (or the gRPC error it wraps) failed as UNAVAILABLE or DEADLINE_EXCEEDED. */
export function isTemporalUnavailable(err: unknown): boolean {
  const candidates = [err, (err as { cause?: unknown } | null | undefined)?.cause];
  return candidates.some(
    (e) => isGrpcServiceError(e) && (e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED),
  );
}
