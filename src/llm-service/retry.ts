export interface RetryPolicy {
  /** Attempts after the first; 0 turns retrying off. */
  retries: number;
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(maxMs, baseMs · 2^retry)). Spreading retries
 * over the whole window keeps many clients that failed together from retrying together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export interface RetryHooks {
  /** Whether this failure may succeed when sent again. */
  shouldRetry(err: unknown): boolean;
  /** Called before each retry, with the 1-based retry number and the delay about to be slept. */
  onRetry?(err: unknown, retry: number, delayMs: number): void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it succeeds, fails with an error not worth retrying, or the retries are spent. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  { shouldRetry, onRetry, sleep = defaultSleep, random }: RetryHooks,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (retry >= policy.retries || !shouldRetry(err)) throw err;
      const delayMs = backoffDelay(retry, policy, random);
      onRetry?.(err, retry + 1, delayMs);
      await sleep(delayMs);
    }
  }
}
