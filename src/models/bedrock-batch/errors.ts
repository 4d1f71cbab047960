/**
 * Failures of the batch building blocks, classified once: throttling, quotas (jobs in flight), server faults and
 * lost connections are worth retrying; a request the service refused (validation, access, an unknown job) is not.
 */
import { ServiceQuotaExceededException, ThrottlingException } from '@aws-sdk/client-bedrock';
import { messageOf } from '../../contracts/errors';

export class BatchServiceError extends Error {
  override readonly name = 'BatchServiceError';
  constructor(
    message: string,
    /** The service's error name (`ValidationException`, `NoSuchKey`, …) or `Unreachable`. */
    readonly code: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isBatchServiceError(err: unknown): err is BatchServiceError {
  return err instanceof BatchServiceError;
}

interface SdkError {
  name?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** An AWS SDK failure of `what` (e.g. "CreateModelInvocationJob") as a BatchServiceError. */
export function batchServiceError(err: unknown, what: string): BatchServiceError {
  if (isBatchServiceError(err)) return err;
  const sdk = (typeof err === 'object' && err !== null ? err : {}) as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const retryable =
    err instanceof ThrottlingException ||
    err instanceof ServiceQuotaExceededException ||
    status === 408 ||
    status === 429 ||
    sdk.$fault !== 'client';
  const code = sdk.$fault ? (sdk.name ?? 'Unknown') : 'Unreachable';
  return new BatchServiceError(`${what}: ${messageOf(err)}`, code, retryable, { cause: err });
}
