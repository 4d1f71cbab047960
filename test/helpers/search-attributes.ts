import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CONVERSATION_SEARCH_ATTRIBUTES } from '../../src/conversation/search-attributes';

const INDEXED_TYPES: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/**
 * Registers the conversation's search attributes, as `npm start` does on the dev server. The time-skipping
 * test server refuses to upsert unknown attributes ("search attribute … is not defined"), and it implements
 * OperatorService.AddSearchAttributes, so tests register them the way an operator would.
 */
export async function registerConversationSearchAttributes(
  connection: Connection,
  namespace = 'default',
): Promise<void> {
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of CONVERSATION_SEARCH_ATTRIBUTES) {
    const type = INDEXED_TYPES[key.type];
    if (type === undefined) throw new Error(`No indexed type for ${key.name}`);
    searchAttributes[key.name] = type;
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}
