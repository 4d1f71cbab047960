/**
 * The activities the campaign workflow calls (type-only: the workflow bundle never loads activity code): the plan
 * activities (makePlanActivities), the dataset activities (makeDatasetActivities) and the worker's own
 * conversationOutcome (src/campaign/activities/conversation-outcome.ts).
 */
import type { ConversationResult } from '../../contracts/conversation';
import type { DatasetActivities } from '../activities/dataset';
import type { makePlanActivities } from '../activities/plan';

/** What became of a conversation that existed before its campaign tried to start it. */
export type ExistingConversation =
  | { state: 'completed'; result: ConversationResult }
  | { state: 'failed'; error: { type: string; message: string } };

export type PlanActivities = ReturnType<typeof makePlanActivities>;

export type CampaignActivities = PlanActivities &
  DatasetActivities & {
    conversationOutcome(input: { workflowId: string }): Promise<ExistingConversation>;
  };
