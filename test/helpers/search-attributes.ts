import type { Connection } from '@temporalio/client';
import { conversationSearchAttributes } from '../../src/stack/temporal-namespace';

/**
 * Registers the conversation's search attributes, as `npm start` does on the dev server. The time-skipping
 * test server refuses to upsert unknown attributes ("search attribute … is not defined"), and it implements
 * OperatorService.AddSearchAttributes, so tests register them the way an operator would.
 */
export async function registerConversationSearchAttributes(
  connection: Connection,
  namespace = 'default',
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: conversationSearchAttributes(),
  });
}
