/**
 * What a fresh Temporal server needs before our workers and API use it (the dev server does it from its flags):
 * the namespace, and the search attributes the conversation workflow upserts. What `temporal operator namespace
 * create` and `temporal operator search-attribute create` do, through the same gRPC services.
 */
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { status } from '@grpc/grpc-js';
import { CONVERSATION_SEARCH_ATTRIBUTES } from '../conversation/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const INDEXED_TYPES: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/** Closed workflows' histories stay this long. */
const RETENTION = '72h';

/** The conversation's search attributes as the operator API takes them. */
export function conversationSearchAttributes(): Record<string, temporal.api.enums.v1.IndexedValueType> {
  const attributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of CONVERSATION_SEARCH_ATTRIBUTES) {
    const type = INDEXED_TYPES[key.type];
    if (type === undefined) throw new Error(`No indexed type for ${key.name}`);
    attributes[key.name] = type;
  }
  return attributes;
}

function isCode(err: unknown, code: status): boolean {
  return isGrpcServiceError(err) && err.code === code;
}

/**
 * Registers the namespace and our search attributes where missing; true once all of them are there. The server
 * takes a moment to see a new namespace everywhere, so a caller polls this until it holds.
 */
export async function ensureNamespace(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if (!isCode(err, status.NOT_FOUND)) throw err;
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(RETENTION) })
        .catch((e: unknown) => {
          if (!isCode(e, status.ALREADY_EXISTS)) throw e;
        });
      return false;
    }
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const wanted = conversationSearchAttributes();
    const missing = Object.fromEntries(
      Object.entries(wanted).filter(([name]) => !(name in customAttributes)),
    );
    if (Object.keys(missing).length === 0) return true;
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    return false;
  } finally {
    await connection.close();
  }
}
