import { setTimeout as delay } from 'node:timers/promises';

export interface UntilOptions {
  /** How long to keep polling before failing; generous, since a busy CI machine is slow, never fast. */
  timeoutMs?: number;
  intervalMs?: number;
  /** Names what is awaited in the failure message. */
  what?: string;
}

/**
 * Polls `read` until `done` holds and returns the value that satisfied it; after `timeoutMs` it fails with the
 * last value read. Tests wait with it for something to happen (a log line, a state change), never for a fixed time.
 */
export async function until<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 20, what = 'the awaited condition' }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms; last read: ${JSON.stringify(value)}`);
    }
    await delay(intervalMs);
  }
}
