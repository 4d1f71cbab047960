/**
 * Where a durable turn's time goes, read from the workflows' histories: per run, the medians of
 * - wftDispatch: workflow task scheduled → started (the server matching it to a poller),
 * - wftTurnaround: workflow task started → completed (the worker running the workflow code, and the round trip),
 * - activityDispatch: activity scheduled → started,
 * - activityRun: activity started → completed (the model call, plus the worker's and the round trip's cost).
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { summarize } from './stats';

type Event = temporal.api.history.v1.IHistoryEvent;

export interface Phases {
  wftDispatchMs: number;
  wftTurnaroundMs: number;
  activityDispatchMs: number;
  activityRunMs: number;
}

function collect(events: Event[], into: Record<keyof Phases, number[]>): void {
  const at = new Map<number, number>();
  for (const e of events) {
    const id = Number(e.eventId);
    const time = tsToMs(e.eventTime);
    at.set(id, time);
    const since = (ref: unknown) => time - at.get(Number(ref))!;
    if (e.workflowTaskStartedEventAttributes)
      into.wftDispatchMs.push(since(e.workflowTaskStartedEventAttributes.scheduledEventId));
    if (e.workflowTaskCompletedEventAttributes)
      into.wftTurnaroundMs.push(since(e.workflowTaskCompletedEventAttributes.startedEventId));
    if (e.activityTaskStartedEventAttributes)
      into.activityDispatchMs.push(since(e.activityTaskStartedEventAttributes.scheduledEventId));
    if (e.activityTaskCompletedEventAttributes)
      into.activityRunMs.push(since(e.activityTaskCompletedEventAttributes.startedEventId));
  }
}

/** The medians over every event of the given workflows (their latest runs). */
export async function historyPhases(client: Client, workflowIds: string[]): Promise<Phases> {
  const into: Record<keyof Phases, number[]> = {
    wftDispatchMs: [],
    wftTurnaroundMs: [],
    activityDispatchMs: [],
    activityRunMs: [],
  };
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    collect(history.events ?? [], into);
  }
  return {
    wftDispatchMs: summarize(into.wftDispatchMs).median,
    wftTurnaroundMs: summarize(into.wftTurnaroundMs).median,
    activityDispatchMs: summarize(into.activityDispatchMs).median,
    activityRunMs: summarize(into.activityRunMs).median,
  };
}
