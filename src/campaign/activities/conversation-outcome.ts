import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { ConversationResult } from '../../contracts/conversation';
import { withHeartbeats } from '../../shared/activity/heartbeat';

/** What became of a conversation that existed before its campaign tried to start it. */
export type ExistingConversation =
  | { state: 'completed'; result: ConversationResult }
  | { state: 'failed'; error: { type: string; message: string } };

/**
 * The result of a conversation that already existed when its campaign tried to start it (a resubmitted spec, a
 * reset campaign): read with the worker's client, waiting while it still runs, so the item is recorded from
 * what it did and never run twice.
 */
export async function conversationOutcome({
  workflowId,
}: {
  workflowId: string;
}): Promise<ExistingConversation> {
  const { client } = Context.current();
  try {
    const result = (await withHeartbeats(
      client.workflow.getHandle(workflowId).result(),
    )) as ConversationResult;
    return { state: 'completed', result };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause ?? err;
    return { state: 'failed', error: { type: cause.name, message: cause.message } };
  }
}
