import { messageOf, UpstreamError } from '../../src/contracts/errors';

export function unreachable(provider: string, err: unknown): UpstreamError {
  const reason = errorCode(err) ?? messageOf(err);
  return new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', `${provider} is unreachable: ${reason}`, true, {
    cause: err,
  });
}

/** The system error code; `fetch` hides it in `cause` behind a generic "fetch failed". */
function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : undefined;
}
