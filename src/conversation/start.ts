/**
 * Starting a conversation, shared by the Conversation API and the CLI: the same defaults from config, the
 * same workflow id, the same Web UI summary, and the same answer when the id already exists.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Config } from '../shared/config';
import { WORKFLOW_ID_PREFIX, WORKFLOW_TYPE } from '../contracts/conversation';
import type { ConversationInput } from '../contracts/conversation';
import { DEFAULT_ENDPOINTS } from '../contracts/limits';
import { DEFAULT_CATALOG, type EndpointCatalog } from '../models/endpoints';
import { staticDetails, staticSummary } from './summary';
import { startAttributes } from './search-attributes';

export { staticDetails, staticSummary };
import type { conversationWorkflow } from './workflows/conversation';

export type ConversationHandle = WorkflowHandle<typeof conversationWorkflow>;

export type StartConfig = Pick<
  Config,
  | 'TEMPORAL_TASK_QUEUE'
  | 'CONVERSATION_MAX_TURNS'
  | 'CONVERSATION_TIMEOUT_MINUTES'
  | 'OLLAMA_MODEL'
  | 'CLOUD_MAX_TOKENS'
  | 'LOCAL_MAX_TOKENS'
>;

export interface StartedConversation {
  handle: ConversationHandle;
  workflowId: string;
  runId: string;
  /** `RUNNING` for a new (or still running) run; the closed run's status when the id was already used. */
  status: string;
}

/**
 * The input with every default the config holds made explicit (so the Web UI, the search attributes and a
 * replay all show what the run used) and a `conversation-<uuid>` id when the caller gave none. The cloud model
 * and system prompts stay unset when not given: the cloud side and the activity own those defaults.
 */
export function withConfigDefaults(
  input: ConversationInput,
  config: StartConfig,
  endpoints: EndpointCatalog = DEFAULT_CATALOG,
): ConversationInput {
  // A named endpoint's own model is the default there; the local default's is OLLAMA_MODEL.
  const cloudModel = input.cloud?.model ?? endpointModel(endpoints, input.cloud?.endpoint);
  const localEndpoint = input.local?.endpoint;
  const localModel =
    input.local?.model ??
    (localEndpoint === undefined || localEndpoint === DEFAULT_ENDPOINTS.local
      ? config.OLLAMA_MODEL
      : endpointModel(endpoints, localEndpoint));
  return {
    ...input,
    conversationId: input.conversationId ?? `${WORKFLOW_ID_PREFIX}${randomUUID()}`,
    maxTurns: input.maxTurns ?? config.CONVERSATION_MAX_TURNS,
    timeoutMinutes: input.timeoutMinutes ?? config.CONVERSATION_TIMEOUT_MINUTES,
    cloud: {
      ...input.cloud,
      ...(cloudModel !== undefined && { model: cloudModel }),
      maxTokens: input.cloud?.maxTokens ?? config.CLOUD_MAX_TOKENS,
    },
    local: {
      ...input.local,
      ...(localModel !== undefined && { model: localModel }),
      maxTokens: input.local?.maxTokens ?? config.LOCAL_MAX_TOKENS,
    },
  };
}

function endpointModel(endpoints: EndpointCatalog, name: string | undefined): string | undefined {
  return name === undefined ? undefined : endpoints.get(name)?.model;
}

/**
 * Starts `conversationWorkflow` with the id `input.conversationId` (required: use withConfigDefaults). Starting
 * an id twice never runs it twice: while it runs the start attaches to it (USE_EXISTING); once it has closed
 * the start is refused (REJECT_DUPLICATE) and the closed run is the answer.
 */
export async function startConversation(
  client: Pick<Client, 'workflow'>,
  taskQueue: string,
  input: ConversationInput,
): Promise<StartedConversation> {
  const workflowId = input.conversationId;
  if (!workflowId) throw new TypeError('startConversation needs input.conversationId');
  try {
    const handle = await client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: staticSummary(input),
      staticDetails: staticDetails(input),
      typedSearchAttributes: startAttributes(input),
    });
    return { handle, workflowId, runId: handle.firstExecutionRunId, status: 'RUNNING' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const handle = client.workflow.getHandle<typeof conversationWorkflow>(workflowId);
    const description = await handle.describe();
    return { handle, workflowId, runId: description.runId, status: description.status.name };
  }
}
