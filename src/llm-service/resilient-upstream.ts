import CircuitBreaker from 'opossum';
import {
  CircuitOpenError,
  isHttpError,
  isRetryableUpstreamError,
  UpstreamTimeoutError,
} from '../contracts/errors';
import type { Logger } from '../shared/logger';
import { CIRCUIT_STATES } from './metrics';
import type { CircuitState, UpstreamMetrics } from './metrics';
import { withRetries } from './retry';
import type { RetryPolicy } from './retry';
import type { LlmUpstream, UpstreamRequest, UpstreamResponse } from './upstream-client';

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
 * Wraps the gateway client: each attempt goes through a circuit breaker (opossum), failed attempts that may
 * succeed later are retried with exponential backoff and jitter. Our own timeout is not retried: a model that
 * did not answer within UPSTREAM_TIMEOUT_MS would only make the caller wait that long again.
 */
export function createResilientUpstream(
  transport: LlmUpstream,
  { retry, circuit, logger, metrics, sleep, random }: ResilienceOptions,
): ResilientUpstream {
  const breaker = new CircuitBreaker((request: UpstreamRequest) => transport.generate(request), {
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
  });
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

  const attempt = async (request: UpstreamRequest): Promise<UpstreamResponse> => {
    const end = metrics?.latency.startTimer();
    try {
      const response = await breaker.fire(request);
      end?.({ outcome: 'ok' });
      return response;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
        metrics?.circuitRejections.inc();
        throw new CircuitOpenError(Math.max(0, openedAt + circuit.resetMs - Date.now()));
      }
      end?.({ outcome: code(err) });
      throw err;
    }
  };

  return {
    generate: (request) =>
      withRetries(() => attempt(request), retry, {
        shouldRetry: (err) =>
          isRetryableUpstreamError(err) &&
          !(err instanceof UpstreamTimeoutError) &&
          !(err instanceof CircuitOpenError),
        onRetry: (err, n, delayMs) => {
          metrics?.retries.inc({ code: code(err) });
          logger.warn(
            { requestId: request.requestId, retry: n, delayMs, code: code(err) },
            'retrying upstream',
          );
        },
        sleep,
        random,
      }),
    isReady: () => transport.isReady(),
    circuitState: () => state,
    close: () => breaker.shutdown(),
  };
}
