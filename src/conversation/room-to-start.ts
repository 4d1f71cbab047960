/** CONVERSATION_MAX_RUNNING: the API's second 429, on the number of conversations running. */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { WORKFLOW_TYPE } from '../contracts/conversation';
import { TooManyRequestsError } from '../contracts/errors';

/** Running conversations as Temporal's visibility store counts them (it may lag a start by a moment). */
export const RUNNING_CONVERSATIONS_QUERY = `WorkflowType = "${WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;

/** Conversations run for minutes: a client told "too many running" should not come back at once. */
const MAX_RUNNING_RETRY_AFTER_SECONDS = 30;

/**
 * Refuses (429) to start a conversation while `maxRunning` or more run. A start that names an id which already
 * exists is let through: it starts nothing, and the caller gets that run as before. Temporal errors go to
 * `onTemporalError` (the API's mapping to 404/503).
 */
export async function ensureRoomToStart(
  client: Pick<Client, 'workflow'>,
  maxRunning: number,
  start: { workflowId: string; idGivenByCaller: boolean },
  onTemporalError: (err: unknown) => never,
): Promise<void> {
  if (maxRunning <= 0) return;
  const { count } = await client.workflow.count(RUNNING_CONVERSATIONS_QUERY).catch(onTemporalError);
  if (count < maxRunning) return;
  if (start.idGivenByCaller) {
    const exists = await client.workflow
      .getHandle(start.workflowId)
      .describe()
      .then(
        () => true,
        (err: unknown) => (err instanceof WorkflowNotFoundError ? false : onTemporalError(err)),
      );
    if (exists) return;
  }
  throw new TooManyRequestsError(
    'TOO_MANY_RUNNING',
    `${count} conversations are running, the most this service allows at once is ${maxRunning}; ` +
      'try again when some have finished',
    MAX_RUNNING_RETRY_AFTER_SECONDS,
  );
}
