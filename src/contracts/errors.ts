/** Typed errors shared by the services. HTTP errors carry their status and serialise to the API's error shape. */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface HttpErrorOptions {
  cause?: unknown;
  /** Response headers that go with this error, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly headers: Record<string, string>;
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options: HttpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.headers = options.headers ?? {};
  }

  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export class ValidationError extends HttpError {
  override readonly name = 'ValidationError';
  constructor(message: string, details?: unknown) {
    super(400, 'INVALID_REQUEST', message, details);
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, 'NOT_FOUND', message);
  }
}

/** No valid `Authorization: Bearer <key>`; the challenge header tells the client which scheme to use. */
export class UnauthorizedError extends HttpError {
  override readonly name = 'UnauthorizedError';
  constructor(message: string, realm: string, invalidToken: boolean) {
    super(401, 'UNAUTHORIZED', message, undefined, {
      headers: {
        'WWW-Authenticate': `Bearer realm="${realm}"${invalidToken ? ', error="invalid_token"' : ''}`,
      },
    });
  }
}

/** A browser sent this state-changing request from another site (cross-site request forgery). */
export class CrossSiteRequestError extends HttpError {
  override readonly name = 'CrossSiteRequestError';
  constructor() {
    super(403, 'CROSS_SITE_REQUEST', 'Cross-site requests are not accepted');
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** A limit was reached (requests per client, running conversations); `Retry-After` says when to try again. */
export class TooManyRequestsError extends HttpError {
  override readonly name = 'TooManyRequestsError';
  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(429, code, message, undefined, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

/** The code of a 200 whose body is not the reply the API defines, on every model path and over HTTP. */
export const BAD_UPSTREAM_RESPONSE = 'BAD_UPSTREAM_RESPONSE';

export interface UpstreamErrorOptions extends HttpErrorOptions {
  /** How long the upstream asked its callers to wait before the next call (its `Retry-After`). */
  retryAfterMs?: number;
}

/** The model upstream (gateway, Lambda, Bedrock, Ollama) failed; `retryable` tells callers whether to try again. */
export class UpstreamError extends HttpError {
  override readonly name: string = 'UpstreamError';
  readonly retryAfterMs?: number;
  constructor(
    statusCode: number,
    code: string,
    message: string,
    readonly retryable: boolean,
    options?: UpstreamErrorOptions,
  ) {
    const retryAfterMs = options?.retryAfterMs;
    // In the JSON body too, so an HTTP caller (e.g. a Temporal activity) knows whether to retry, and when; the
    // `Retry-After` header says the same in whole seconds for any other client.
    super(
      statusCode,
      code,
      message,
      { retryable, ...(retryAfterMs !== undefined && { retryAfterMs }) },
      {
        ...options,
        ...(retryAfterMs !== undefined && {
          headers: {
            'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
            ...options?.headers,
          },
        }),
      },
    );
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The upstream answered 200 with a body that is not the reply its API defines (not JSON, not the shape, not
 * decodable protobuf): a proxy's error page, a truncated body, a wrong base URL. Retryable, by Temporal only and at
 * most BAD_REPLY_MAX_ATTEMPTS times (see upstreamFailure): inner layers do not retry it.
 */
export class BadUpstreamResponseError extends UpstreamError {
  override readonly name = 'BadUpstreamResponseError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(502, BAD_UPSTREAM_RESPONSE, message, true, options);
  }
}

/** The upstream did not answer within the client's own per-request timeout. */
export class UpstreamTimeoutError extends UpstreamError {
  override readonly name = 'UpstreamTimeoutError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(504, 'UPSTREAM_TIMEOUT', message, true, options);
  }
}

/**
 * The caller's deadline (its `X-Request-Timeout-Ms`, or the activity's own timeout) leaves no time for the call,
 * so it was not made. Retryable: the next activity attempt starts with a fresh deadline.
 */
export class DeadlineExceededError extends UpstreamError {
  override readonly name = 'DeadlineExceededError';
  constructor(message = 'No time left before the deadline; the call was not made') {
    super(504, 'DEADLINE_EXCEEDED', message, true);
  }
}

/** The circuit breaker is open: the upstream failed repeatedly, so calls fail fast until a probe succeeds. */
export class CircuitOpenError extends UpstreamError {
  override readonly name = 'CircuitOpenError';
  constructor(retryAfterMs: number) {
    super(503, 'CIRCUIT_OPEN', 'The model upstream is failing; requests are paused until it recovers', true, {
      retryAfterMs,
    });
  }
}

/**
 * A transcript cannot be written where it was asked to go: the name breaks the output file rule, or a folder on
 * the way is a symbolic link, not a folder, or resolves outside OUTPUT_DIR. Permanent for that name.
 */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

/*
 * Classification: the only place that looks at an error's shape. Callers use these guards (or `instanceof` on
 * our classes and the Temporal SDK's symbol-based ones), never `err.name` comparisons of their own.
 */

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}

export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError;
}

export function isOutputPathError(err: unknown): err is OutputPathError {
  return err instanceof OutputPathError;
}

/**
 * The `code` of a Node file-system error (`ENOENT`, `EACCES`, `EEXIST`…), if it is one. By shape: Node's own
 * errors may come from another realm (a test runner's sandbox), where `instanceof Error` is false.
 */
export function fileErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** An error's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** An upstream failure that may succeed when tried again. */
export function isRetryableUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError && err.retryable;
}

/**
 * An upstream failure that is a timeout at some layer: ours, the caller's deadline, the gateway's integration
 * timeout or the model's (all 504). Inner layers do not retry these: the time is spent, and a slow provider is the
 * one that must not get more calls.
 */
export function isUpstreamTimeout(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError && err.statusCode === 504;
}

/**
 * A reply that is not what the API defines: our BAD_UPSTREAM_RESPONSE (also when it crossed HTTP as a code), or a
 * client library's failed JSON parse of a 200 body (ollama-js throws the `SyntaxError` of `response.json()`).
 */
export function isBadUpstreamResponse(err: unknown): boolean {
  return err instanceof UpstreamError ? err.code === BAD_UPSTREAM_RESPONSE : nameOf(err) === 'SyntaxError';
}

/** The circuit breaker refused the call: nothing was sent. */
export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return err instanceof CircuitOpenError;
}

/** opossum's rejection of a call while its circuit is open (or its half-open probe is still out). */
export function isBreakerRejection(err: unknown): boolean {
  return (err as { code?: unknown } | null | undefined)?.code === 'EOPENBREAKER';
}

/**
 * A call given up because its time ran out: `AbortSignal.timeout()` (a DOMException), the AWS SDK's request
 * handler and our HTTP transport all name it `TimeoutError`, and share no class.
 */
export function isTimeoutError(err: unknown): boolean {
  return nameOf(err) === 'TimeoutError';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when a server could not be reached at all (refused, reset, DNS); `fetch` hides the code in `cause`. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** A call aborted through an AbortSignal (fetch, the AWS SDK). */
export function isAbortError(err: unknown): boolean {
  return nameOf(err) === 'AbortError';
}

/** The HTTP status a client library attached to its error (the `ollama` client's `status_code`), if any. */
export function httpStatusOf(err: unknown): number | undefined {
  const status = (err as { status_code?: unknown } | null | undefined)?.status_code;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(err: unknown): unknown {
  return (err as { name?: unknown } | null | undefined)?.name;
}
