/**
 * The campaign workflow's activities, each with its timeouts and retry policy: every option of the workflow's
 * calls is here.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/workflow';
import { CampaignFailureType } from '../../../contracts/campaign';
import type { ConversationActivities } from '../../../conversation/activities';
import type { CampaignActivities } from '../activities';

const fileRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [CampaignFailureType.InvalidSpec],
};
/*
 * The activities below heartbeat while they work (the worker wraps them, see withCampaignHeartbeats), so one that a
 * dead worker held is retried elsewhere within its heartbeatTimeout, not at its startToClose: a page of items not
 * read stops new starts, and a checkpoint not written holds the continue-as-new, while the running conversations
 * end and free their slots.
 */
export const { planCampaign } = proxyActivities<CampaignActivities>({
  // A seeds file of 100 000 lines is read, expanded and written once.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: { ...fileRetry, maximumAttempts: 10 },
});
export const { campaignItems } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: { ...fileRetry, maximumAttempts: 10 },
});
export const { checkpointCampaign } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: fileRetry,
});
export const { writeCampaignDataset } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 hour',
  scheduleToCloseTimeout: '3 hours',
  retry: { ...fileRetry, maximumAttempts: 10 },
});
/** The judge is a model call on its side's queue; a judge that keeps failing leaves the item unscored. */
export const { judgeConversation } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '20 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});
/**
 * Waits on a conversation that may still run: up to a conversation's longest timeout, heartbeating, so a worker
 * that dies meanwhile is noticed in seconds and the wait goes on elsewhere.
 */
export const { conversationOutcome } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** Answered by this worker at once from its configuration (where the judge's calls go). */
export const { providerTaskQueues } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});
