import type { Info } from '@temporalio/activity';
import { ACTIVITY_DEADLINE_MARGIN_MS } from '../../contracts/deadline';

type Timeouts = Pick<Info, 'startToCloseTimeoutMs' | 'scheduleToCloseTimeoutMs' | 'scheduledTimestampMs'>;

/**
 * How long this activity attempt may still wait on a call, less ACTIVITY_DEADLINE_MARGIN_MS so that it reports the
 * call's own failure before Temporal times the attempt out. The attempt ends at the earlier of:
 * - startToClose, counted from `startedAt`: when this worker began the attempt, on its own clock. The server starts
 *   that clock when it hands out the task, a few milliseconds earlier, which the margin covers; the attempt's
 *   `currentAttemptScheduledTimestampMs` would also count the time the task waited in the queue, on the server's
 *   clock;
 * - scheduleToClose, counted from the first attempt's scheduling (the server's clock: skew between the hosts
 *   shortens or lengthens this bound by as much, which only matters on the last attempts).
 * Zero or less: no time left.
 */
export function attemptTimeLeftMs(info: Timeouts, startedAt: number, now = Date.now()): number {
  const attemptEnds = info.startToCloseTimeoutMs > 0 ? startedAt + info.startToCloseTimeoutMs : Infinity;
  const activityEnds =
    info.scheduleToCloseTimeoutMs > 0 ? info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs : Infinity;
  return Math.min(attemptEnds, activityEnds) - ACTIVITY_DEADLINE_MARGIN_MS - now;
}
