import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { ConversationInput } from '../contracts/conversation';

/**
 * Custom search attributes that make conversations filterable in the Temporal Web UI and CLI, e.g.
 * `ConversationEndReason = "timeout"`. Defined once: the workflow upserts them, `npm start` registers them
 * on the dev server.
 */
export const CLOUD_MODEL = defineSearchAttributeKey('ConversationCloudModel', SearchAttributeType.KEYWORD);
export const LOCAL_MODEL = defineSearchAttributeKey('ConversationLocalModel', SearchAttributeType.KEYWORD);
export const TURNS_COMPLETED = defineSearchAttributeKey('ConversationTurns', SearchAttributeType.INT);
export const END_REASON = defineSearchAttributeKey('ConversationEndReason', SearchAttributeType.KEYWORD);
/** Set by a campaign on each of its conversations when it starts them: `CampaignId = "…"` lists them. */
export const CAMPAIGN_ID = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);

/**
 * What a conversation's search attributes say from its start: the models its input names and its turns so far.
 * Its starters (the API, a campaign) set them with the start, which writes them with the run's first visibility
 * record; the workflow upserts only those a start left out (one from the Temporal CLI or UI), each upsert being a
 * visibility write of its own on the server.
 */
export function startAttributes(
  input: Pick<ConversationInput, 'cloud' | 'local'>,
  turns = 0,
): SearchAttributePair[] {
  return [
    ...(input.cloud?.model ? [{ key: CLOUD_MODEL, value: input.cloud.model }] : []),
    ...(input.local?.model ? [{ key: LOCAL_MODEL, value: input.local.model }] : []),
    { key: TURNS_COMPLETED, value: turns },
  ];
}

/** Every key our workflows set: a server must know them all (INVALID_ARGUMENT otherwise). */
export const CONVERSATION_SEARCH_ATTRIBUTES = [
  CLOUD_MODEL,
  LOCAL_MODEL,
  TURNS_COMPLETED,
  END_REASON,
  CAMPAIGN_ID,
];

const DEV_SERVER_TYPE_NAMES: Partial<Record<SearchAttributeType, string>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
};

/** `--search-attribute` values for `temporal server start-dev`. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = CONVERSATION_SEARCH_ATTRIBUTES.map(
  (key) => `${key.name}=${DEV_SERVER_TYPE_NAMES[key.type]}`,
);
