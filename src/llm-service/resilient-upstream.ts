import CircuitBreaker from 'opossum';
import {
  CircuitOpenError,
  DeadlineExceededError,
  isBadUpstreamResponse,
  isBreakerRejection,
  isCircuitOpenError,
  isHttpError,
  isRetryableUpstreamError,
  isUpstreamError,
  isUpstreamTimeout,
} from '../contracts/errors';
import type { Logger } from '../shared/logger';
import { CIRCUIT_STATES } from './metrics';
import type { CircuitState, UpstreamMetrics } from './metrics';
import { withRetries } from './retry';
import type { RetryPolicy } from './retry';
import type { LlmUpstream, UpstreamCallOptions, UpstreamRequest, UpstreamResponse } from './upstream-client';

export interface CircuitPolicy {
  /** Failure percentage within the window above which the circuit opens. */
  errorThresholdPercent: number;
  /** Calls within the window before the percentage counts, so one early failure does not open it. */
  volumeThreshold: number;
  windowMs: number;
  /** How long the circuit stays open before one probe call is let through (half-open). */
  resetMs: number;
}

export interface ResilienceOptions {
  retry: RetryPolicy;
  circuit: CircuitPolicy;
  logger: Logger;
  metrics?: UpstreamMetrics;
  /** For tests: the backoff's sleep and randomness. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface ResilientUpstream extends LlmUpstream {
  circuitState(): CircuitState;
  /** Stops the breaker's timers. */
  close(): void;
}

const code = (err: unknown) => (isHttpError(err) ? err.code : 'INTERNAL');

/**
 * Wraps the gateway client: each attempt goes through a circuit breaker (opossum), and a failed attempt that may
 * succeed later is retried at most `retry.retries` (0 or 1) times, with exponential backoff and jitter, and only
 * while the call's deadline leaves `retry.minAttemptMs` for it, never sooner than the upstream's Retry-After asked
 * (a longer wait than `retry.maxMs` is left to the caller). Timeouts are not retried (ours, the gateway's or the
 * model's): the time is spent, and a slow provider must not get more calls. Nor is a 200 with a bad body: the
 * activity's attempts count those (BAD_REPLY_MAX_ATTEMPTS). Temporal's activity retries own
 * everything beyond that one retry. A call whose deadline has passed is not sent, and not counted by the breaker.
 */
export function createResilientUpstream(
  transport: LlmUpstream,
  { retry, circuit, logger, metrics, sleep, random }: ResilienceOptions,
): ResilientUpstream {
  const breaker = new CircuitBreaker(
    (request: UpstreamRequest, options: UpstreamCallOptions) => transport.generate(request, options),
    {
      // The transport has its own per-request timeout, which also aborts the request.
      timeout: false,
      errorThresholdPercentage: circuit.errorThresholdPercent,
      volumeThreshold: circuit.volumeThreshold,
      rollingCountTimeout: circuit.windowMs,
      rollingCountBuckets: 10,
      resetTimeout: circuit.resetMs,
      // A refusal of the input (400) or a permanent error means the upstream is healthy and answering.
      errorFilter: (err: unknown) => !isRetryableUpstreamError(err),
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    },
  );
  let state: CircuitState = 'closed';
  let openedAt = 0;
  const enter = (next: CircuitState) => {
    state = next;
    metrics?.circuitState.set(CIRCUIT_STATES[next]);
  };
  enter('closed');
  breaker.on('open', () => {
    openedAt = Date.now();
    enter('open');
    logger.warn({ resetMs: circuit.resetMs }, 'upstream circuit opened');
  });
  breaker.on('halfOpen', () => {
    enter('halfOpen');
    logger.info('upstream circuit half-open: probing');
  });
  breaker.on('close', () => {
    enter('closed');
    logger.info('upstream circuit closed');
  });

  const attempt = async (
    request: UpstreamRequest,
    options: UpstreamCallOptions,
  ): Promise<UpstreamResponse> => {
    const end = metrics?.latency.startTimer();
    try {
      const response = await breaker.fire(request, options);
      end?.({ outcome: 'ok' });
      return response;
    } catch (err) {
      if (isBreakerRejection(err)) {
        metrics?.circuitRejections.inc();
        throw new CircuitOpenError(Math.max(0, openedAt + circuit.resetMs - Date.now()));
      }
      end?.({ outcome: code(err) });
      throw err;
    }
  };

  return {
    async generate(request, options) {
      if (options.deadline <= Date.now()) throw new DeadlineExceededError();
      return withRetries(() => attempt(request, options), retry, {
        shouldRetry: (err) =>
          isRetryableUpstreamError(err) &&
          !isUpstreamTimeout(err) &&
          !isCircuitOpenError(err) &&
          !isBadUpstreamResponse(err),
        onRetry: (err, n, delayMs) => {
          metrics?.retries.inc({ code: code(err) });
          logger.warn(
            { requestId: request.requestId, retry: n, delayMs, code: code(err) },
            'retrying upstream',
          );
        },
        onDeadline: (err, remainingMs) => {
          logger.info(
            { requestId: request.requestId, remainingMs, code: code(err) },
            'not retrying upstream: too little time left before the deadline',
          );
        },
        retryAfterMs: (err) => (isUpstreamError(err) ? err.retryAfterMs : undefined),
        onLongWait: (err, retryAfterMs) => {
          logger.info(
            { requestId: request.requestId, retryAfterMs, code: code(err) },
            'not retrying upstream: it asked for a longer wait than UPSTREAM_RETRY_MAX_MS; the caller retries after it',
          );
        },
        deadline: options.deadline,
        sleep,
        random,
      });
    },
    isReady: () => transport.isReady(),
    circuitState: () => state,
    close: () => breaker.shutdown(),
  };
}
