/**
 * The activities the campaign workflow calls (type-only: the workflow bundle never loads activity code).
 */
import type { CampaignActivityImpls, CloudBatchJobActivities, conversationOutcome } from '../activities';

export type { ExistingConversation, PlanActivities } from '../activities';

export type CampaignActivities = CampaignActivityImpls & {
  conversationOutcome: typeof conversationOutcome;
};

/** The batcher's (cloudBatchWorkflow). */
export type { CloudBatchJobActivities };
