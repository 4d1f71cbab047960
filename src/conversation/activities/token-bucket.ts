/**
 * The cloud side's tokens-per-minute budget (CLOUD_MAX_TOKENS_PER_MINUTE), counted the way Bedrock reserves its
 * quota: the input tokens (estimated from the text) plus the call's maxTokens, taken when the call starts.
 *
 * A reservation bucket: it refills continuously at limit/60 tokens a second up to one minute's worth; a call
 * reserves its tokens at once, even into debt, and waits until the debt it leaves behind has refilled. Calls so
 * wait in the order they reserved, and a call larger than a minute's budget runs (alone, once the bucket is full)
 * rather than never.
 * It counts this worker process's calls: with WORKER_COUNT > 1, give each process its share.
 */
export interface TokenReservation {
  /** How long the caller must wait before calling, in ms (0: now). */
  waitMs: number;
  /** Gives the tokens back, for a call that will not be made after all. */
  cancel: () => void;
}

export interface TokenBucket {
  reserve(tokens: number): TokenReservation;
}

export function createTokenBucket(tokensPerMinute: number, now: () => number = Date.now): TokenBucket {
  const perMs = tokensPerMinute / 60_000;
  let available = tokensPerMinute;
  let updatedAt = now();
  return {
    reserve(requested) {
      // A call above a minute's budget counts as a full minute: it runs once the bucket is full, alone.
      const tokens = Math.min(requested, tokensPerMinute);
      const t = now();
      available = Math.min(tokensPerMinute, available + (t - updatedAt) * perMs);
      updatedAt = t;
      available -= tokens;
      const waitMs = available >= 0 ? 0 : Math.ceil(-available / perMs);
      let cancelled = false;
      return {
        waitMs,
        cancel: () => {
          if (cancelled) return;
          cancelled = true;
          available += tokens;
        },
      };
    },
  };
}

/** Bedrock counts what it cannot know yet as maxTokens; the input is estimated at 4 characters a token. */
export function estimateTokens(texts: (string | undefined)[]): number {
  return Math.ceil(texts.reduce((n, t) => n + (t?.length ?? 0), 0) / 4);
}
