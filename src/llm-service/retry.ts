export interface RetryPolicy {
  /**
   * Attempts after the first: 0 or 1. Temporal owns retries across activity attempts; this layer adds at most
   * one quick retry within the caller's deadline (UPSTREAM_RETRIES).
   */
  retries: number;
  baseMs: number;
  maxMs: number;
  /** A retry starts only with at least this much time left before the deadline, after its backoff. */
  minAttemptMs: number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(maxMs, baseMs · 2^retry)). Spreading retries
 * over the whole window keeps many clients that failed together from retrying together.
 */
export function backoffDelay(
  retry: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export interface RetryHooks {
  /** Whether this failure may succeed when sent again. */
  shouldRetry(err: unknown): boolean;
  /** Called before each retry, with the 1-based retry number and the delay about to be slept. */
  onRetry?(err: unknown, retry: number, delayMs: number): void;
  /** Called when a failure worth retrying is not retried because the deadline leaves too little time. */
  onDeadline?(err: unknown, remainingMs: number): void;
  /**
   * How long the failed call's server asked to wait (its Retry-After), if it did: the retry waits at least that
   * long, and is not made here when that is more than `maxMs` (the caller's own, slot-free retry waits instead).
   */
  retryAfterMs?(err: unknown): number | undefined;
  /** Called when a failure is not retried because its server asked for a wait longer than `maxMs`. */
  onLongWait?(err: unknown, retryAfterMs: number): void;
  /** Epoch ms (this host's clock) by which the whole call must be done. */
  deadline?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails with an error not worth retrying, the retries are spent, the server asked
 * for a longer wait than `maxMs`, or the deadline leaves less than `minAttemptMs` for another attempt.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  {
    shouldRetry,
    onRetry,
    onDeadline,
    retryAfterMs = () => undefined,
    onLongWait,
    deadline = Infinity,
    sleep = defaultSleep,
    random,
    now = Date.now,
  }: RetryHooks,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (retry >= policy.retries || !shouldRetry(err)) throw err;
      const askedMs = retryAfterMs(err) ?? 0;
      if (askedMs > policy.maxMs) {
        onLongWait?.(err, askedMs);
        throw err;
      }
      const delayMs = Math.max(backoffDelay(retry, policy, random), askedMs);
      const remainingMs = deadline - now() - delayMs;
      if (remainingMs < policy.minAttemptMs) {
        onDeadline?.(err, remainingMs);
        throw err;
      }
      onRetry?.(err, retry + 1, delayMs);
      await sleep(delayMs);
    }
  }
}
