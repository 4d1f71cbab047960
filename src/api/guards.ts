/** What protects the Conversation API from its callers: the start-up exposure rule and the per-client rate limit. */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { RateLimitInfo } from 'express-rate-limit';
import { ConfigError, TooManyRequestsError } from '../contracts/errors';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import { isLoopbackHost } from '../shared/net';

/**
 * Why the API must not start with this configuration, or undefined when it may: a non-loopback `HTTP_HOST`
 * without `CONVERSATION_API_KEY` would let anyone who reaches the port start paid model calls and write files.
 */
export function exposureProblem({
  HTTP_HOST,
  CONVERSATION_API_KEY,
}: Pick<Config, 'HTTP_HOST' | 'CONVERSATION_API_KEY'>): string | undefined {
  if (CONVERSATION_API_KEY || isLoopbackHost(HTTP_HOST)) return undefined;
  return (
    `Refusing to start: HTTP_HOST=${HTTP_HOST} is not a loopback address, so other machines could reach the ` +
    'Conversation API, and CONVERSATION_API_KEY is not set, so they could start conversations (paid model ' +
    'calls, files in OUTPUT_DIR) without any credential. Set CONVERSATION_API_KEY (16+ characters; clients send ' +
    "'Authorization: Bearer <key>'), or bind to this machine only with HTTP_HOST=127.0.0.1 (or ::1, localhost)."
  );
}

/** Throws the ConfigError of `exposureProblem`, for the server entry. */
export function assertSafeExposure(config: Pick<Config, 'HTTP_HOST' | 'CONVERSATION_API_KEY'>): void {
  const problem = exposureProblem(config);
  if (problem) throw new ConfigError(problem);
}

const WINDOW_MS = 60_000;

/**
 * At most `perMinute` requests per client address in each fixed minute (per API process), then 429 with
 * `Retry-After` (seconds until the window resets) and `RateLimit`/`RateLimit-Policy` headers. The address is
 * Express's `req.ip`, so behind a proxy it needs `trust proxy` (CONVERSATION_API_TRUST_PROXY).
 */
export function perClientRateLimit(perMinute: number, logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // The library's own misconfiguration warnings (e.g. X-Forwarded-For without trust proxy) go to our log.
    logger: {
      error: (err, msg) => logger.error({ err }, msg ?? 'rate limiter error'),
      warn: (err, msg) => logger.warn({ err }, msg ?? 'rate limiter warning'),
    },
    handler: (req, _res, next) => {
      const info = (req as typeof req & { rateLimit?: RateLimitInfo }).rateLimit;
      const resetMs = info?.resetTime ? info.resetTime.getTime() - Date.now() : WINDOW_MS;
      next(
        new TooManyRequestsError(
          'RATE_LIMITED',
          `Too many requests: at most ${perMinute} per minute per client`,
          resetMs / 1000,
        ),
      );
    },
  });
}
