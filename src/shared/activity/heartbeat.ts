import { Context } from '@temporalio/activity';

/**
 * Awaits `work` while heartbeating, so a long model call on a dead worker is noticed within the activity's
 * heartbeatTimeout (the SDK throttles what it actually sends), and a cancellation (the conversation timed out
 * or was cancelled) ends the wait at once instead of holding the slot until the model answers.
 */
export async function withHeartbeats<T>(work: Promise<T>, everyMs = 5_000): Promise<T> {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs;
  const interval = timeoutMs ? Math.max(100, Math.min(everyMs, timeoutMs / 3)) : everyMs;
  const timer = setInterval(() => context.heartbeat(), interval);
  try {
    return await Promise.race([work, context.cancelled]);
  } finally {
    clearInterval(timer);
  }
}

/** `activity`, heartbeating every `everyMs` (at most a third of its heartbeatTimeout) while it runs. */
export function heartbeating<A extends unknown[], R>(
  activity: (...args: A) => Promise<R>,
  everyMs = 1_000,
): (...args: A) => Promise<R> {
  return (...args) => withHeartbeats(activity(...args), everyMs);
}
