import { CAMPAIGN_WORKFLOW_ID_PREFIX } from '../contracts/campaign';

const ITEM_HASH = /^[0-9a-f]{12}$/;

/**
 * The campaign a conversation belongs to, read from its id `campaign-<campaignId>-<itemHash>` (the same value as its
 * `CampaignId` search attribute, which activities cannot see); undefined for a conversation outside any campaign.
 */
export function campaignIdOf(conversationId: string): string | undefined {
  if (!conversationId.startsWith(CAMPAIGN_WORKFLOW_ID_PREFIX)) return undefined;
  const rest = conversationId.slice(CAMPAIGN_WORKFLOW_ID_PREFIX.length);
  const cut = rest.lastIndexOf('-');
  if (cut <= 0 || !ITEM_HASH.test(rest.slice(cut + 1))) return undefined;
  return rest.slice(0, cut);
}
