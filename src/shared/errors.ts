/** Typed errors shared by the services. HTTP errors carry their status and serialise to the API's error shape. */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

/** The model upstream (gateway, Lambda, Bedrock, Ollama) failed; `retryable` tells callers whether to try again. */
export class UpstreamError extends HttpError {
  override readonly name = 'UpstreamError';
  constructor(
    statusCode: number,
    code: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    // In the JSON body too, so an HTTP caller (e.g. a Temporal activity) knows whether to retry.
    super(statusCode, code, message, { retryable }, options);
  }
}
