/**
 * The activities the campaign workflow calls (type-only: the workflow bundle never loads activity code).
 */
import type { CampaignActivityImpls, conversationOutcome } from '../activities';

export type { ExistingConversation, PlanActivities } from '../activities';

export type CampaignActivities = CampaignActivityImpls & {
  conversationOutcome: typeof conversationOutcome;
};
