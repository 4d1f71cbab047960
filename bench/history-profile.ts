/**
 * What a turn writes to Temporal, read from the workflows' histories (every run of each, continue-as-new
 * included): events per turn by type, workflow and activity tasks per turn, and bytes per turn (each event as
 * the server stores it, and the payloads inside). Deterministic for a given workflow and input, unlike CPU, so
 * the guard (guard.ts) and docs/performance.md compare it with the floor's exactly.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

export interface HistoryProfile {
  turns: number;
  eventsPerTurn: number;
  /** Per turn, by event type without its `EVENT_TYPE_` prefix. */
  eventsPerTurnByType: Record<string, number>;
  workflowTasksPerTurn: number;
  activityTasksPerTurn: number;
  /** The history events as the server stores them (protobuf), per turn. */
  historyBytesPerTurn: number;
  /** The payloads inside them (activity inputs and results, markers, search attributes, the workflow's input and result). */
  payloadBytesPerTurn: number;
}

const EVENT_TYPE = temporal.api.enums.v1.EventType;

function eventTypeName(e: Event): string {
  const name = EVENT_TYPE[e.eventType ?? 0] ?? String(e.eventType);
  return name.replace(/^EVENT_TYPE_/, '');
}

/** The bytes of every Payload's data (an object with `metadata` and `data`) anywhere inside `value`. */
export function payloadBytes(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  if (value instanceof Uint8Array) return 0;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + payloadBytes(v), 0);
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && 'metadata' in record) return record.data.length;
  return Object.values(record).reduce((sum: number, v) => sum + payloadBytes(v), 0);
}

/** Adds up the events of some histories; `turns` is how many turns they did between them. */
export function profileEvents(events: Event[], turns: number): HistoryProfile {
  const byType: Record<string, number> = {};
  let historyBytes = 0;
  let payload = 0;
  for (const e of events) {
    const type = eventTypeName(e);
    byType[type] = (byType[type] ?? 0) + 1;
    historyBytes += temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    payload += payloadBytes(e);
  }
  const perTurn = (n: number) => n / turns;
  return {
    turns,
    eventsPerTurn: perTurn(events.length),
    eventsPerTurnByType: Object.fromEntries(
      Object.entries(byType)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, n]) => [type, perTurn(n)]),
    ),
    workflowTasksPerTurn: perTurn(byType.WORKFLOW_TASK_COMPLETED ?? 0),
    activityTasksPerTurn: perTurn(byType.ACTIVITY_TASK_SCHEDULED ?? 0),
    historyBytesPerTurn: perTurn(historyBytes),
    payloadBytesPerTurn: perTurn(payload),
  };
}

/** Every event of every run of a workflow, the first run first. */
async function allRuns(client: Client, workflowId: string): Promise<Event[]> {
  const events: Event[] = [];
  const latest = await client.workflow.getHandle(workflowId).describe();
  // Walk back from the latest run through each run's first event, which names the run it continued.
  let runId: string | undefined = latest.runId;
  const runs: Event[][] = [];
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const runEvents: Event[] = history.events ?? [];
    runs.unshift(runEvents);
    runId = runEvents[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  for (const run of runs) events.push(...run);
  return events;
}

/** The profile of some finished workflows that did `turns` turns between them. */
export async function historyProfile(
  client: Client,
  workflowIds: string[],
  turns: number,
): Promise<HistoryProfile> {
  const events: Event[] = [];
  for (const id of workflowIds) events.push(...(await allRuns(client, id)));
  return profileEvents(events, turns);
}

/**
 * The profile of the workflow with the fewest events among some that did `turnsEach` turns each: what the code
 * records. A loaded machine adds events of its own to some histories (a workflow task that timed out on its sticky
 * queue and was scheduled again, a local activity that outlived its workflow task's heartbeat), never to all.
 */
export async function leanestProfile(
  client: Client,
  workflowIds: string[],
  turnsEach: number,
): Promise<HistoryProfile> {
  const profiles = await Promise.all(
    workflowIds.map(async (id) => profileEvents(await allRuns(client, id), turnsEach)),
  );
  return profiles.reduce((a, b) => (b.eventsPerTurn < a.eventsPerTurn ? b : a));
}
