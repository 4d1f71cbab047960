import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

/**
 * A mock activity context for model-calling activities. Failures are expected in these tests, so the SDK's logging
 * of them is kept quiet. The mock's default timeouts (1 s, scheduled in 1970) would leave a model call no time:
 * this uses a model call's own.
 */
export function modelCallActivityEnvironment(info: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(
    {
      startToCloseTimeoutMs: 90_000,
      scheduleToCloseTimeoutMs: 15 * 60_000,
      scheduledTimestampMs: Date.now(),
      ...info,
    },
    { logger: new DefaultLogger('ERROR') },
  );
}
