/** The CLIs' follow loop: poll a workflow's query for progress until the workflow closes. */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client, QueryDefinition, WorkflowHandle } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';

/** A query needs a worker: one that does not answer within this (or the poll interval) counts as no answer. */
const QUERY_DEADLINE_MS = 3000;

export interface FollowOptions<T> {
  client: Pick<Client, 'withDeadline'>;
  handle: WorkflowHandle;
  query: QueryDefinition<T>;
  pollMs: number;
  /** Each answer of the query, in order. */
  onAnswer: (answer: T) => void;
  /** Once, the first time no worker answers. */
  onNoAnswer: () => void;
  /** Stops following (the workflow goes on). */
  detach?: AbortSignal;
  /** Ask once more after the close, for the final figures (when a worker still answers). */
  queryAfterClose?: boolean;
}

export interface Followed<T> {
  /** The workflow's result; awaiting it throws what `handle.result()` throws. */
  result: Promise<unknown>;
  /** The last answer of the query; after the close, queried once more when a worker answers. */
  last?: T;
  detached: boolean;
}

/** Polls until the workflow closes or `detach` fires; an unknown workflow throws WorkflowNotFoundError. */
export async function followWorkflow<T>({
  client,
  handle,
  query,
  pollMs,
  onAnswer,
  onNoAnswer,
  detach,
  queryAfterClose = false,
}: FollowOptions<T>): Promise<Followed<T>> {
  let settled = false;
  const result = handle.result().finally(() => (settled = true));
  result.catch(() => undefined); // the caller awaits it; this keeps an early failure from being "unhandled"
  const detached = new Promise<void>((resolve) => detach?.addEventListener('abort', () => resolve()));
  const ask = () =>
    client.withDeadline(Date.now() + Math.max(pollMs, QUERY_DEADLINE_MS), () => handle.query(query));
  let last: T | undefined;
  let noAnswerNoted = false;
  while (!settled) {
    if (detach?.aborted) return { result, last, detached: true };
    try {
      last = await ask();
      onAnswer(last);
    } catch (err) {
      if (settled) break;
      if (err instanceof WorkflowNotFoundError) throw err;
      if (!noAnswerNoted) {
        onNoAnswer();
        noAnswerNoted = true;
      }
    }
    // The pause ends with whichever comes first, and its timer with it, so nothing keeps the process up.
    const pause = new AbortController();
    await Promise.race([
      sleep(pollMs, undefined, { signal: pause.signal }),
      result.catch(() => undefined),
      detached,
    ]).finally(() => pause.abort());
  }
  await result.catch(() => undefined);
  const final = queryAfterClose ? await ask().catch(() => undefined) : undefined;
  if (final !== undefined) {
    last = final;
    onAnswer(final);
  }
  return { result, last, detached: false };
}
