/**
 * The campaign's activities: the plan (makePlanActivities), the dataset (makeDatasetActivities), both built over
 * injected dependencies, and conversationOutcome, which reads an existing conversation with the worker's client.
 */
import { heartbeating } from '../../shared/activity/heartbeat';
import type { CloudBatchJobActivities } from './batch-jobs';
import type { DatasetActivities } from './dataset';
import type { makePlanActivities } from './plan';

export { conversationOutcome } from './conversation-outcome';
export type { ExistingConversation } from './conversation-outcome';
export { makeCloudBatchJobActivities } from './batch-jobs';
export type { CloudBatchJobActivities } from './batch-jobs';
export { makeDatasetActivities } from './dataset';
export type { DatasetDeps } from './dataset';
export { makePlanActivities } from './plan';
export type { PlanDeps } from './plan';

export type PlanActivities = ReturnType<typeof makePlanActivities>;

/** The activities a worker builds from its configuration (the plan, the dataset, the batcher's jobs). */
export type CampaignActivityImpls = PlanActivities & DatasetActivities & Partial<CloudBatchJobActivities>;

/**
 * The activities as a worker registers them: the plan, a page of items, the checkpoint and the judge heartbeat while
 * they work, so the heartbeatTimeout the campaign workflow gives each notices a dead worker within seconds.
 */
export function withCampaignHeartbeats(impls: CampaignActivityImpls): CampaignActivityImpls {
  return {
    ...impls,
    planCampaign: heartbeating(impls.planCampaign),
    campaignItems: heartbeating(impls.campaignItems),
    checkpointCampaign: heartbeating(impls.checkpointCampaign),
    judgeConversation: heartbeating(impls.judgeConversation),
  };
}
