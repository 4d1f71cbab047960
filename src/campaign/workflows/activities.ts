/**
 * The activities the campaign workflow calls, by signature (type-only: the workflow bundle never loads activity
 * code). The plan activities (makePlanActivities) and the dataset activities (makeDatasetActivities) implement
 * them; conversationOutcome is the worker's own (src/campaign/activities/conversation-outcome.ts).
 */
import type { ConversationResult } from '../../conversation/definitions';
import type { CampaignSpec } from '../spec';
import type {
  CampaignCounts,
  CampaignItem,
  CampaignStatus,
  CampaignStopReason,
  CampaignTotals,
  ItemOutcome,
  JudgeScore,
  JudgeSpec,
} from '../types';

export interface PlanCampaignInput {
  campaignId: string;
  workflowId: string;
  spec: CampaignSpec;
}
export interface PlanCampaignOutput {
  itemCount: number;
  specHash: string;
  seedsFile?: { name: string; sha256: string };
}
export interface CampaignItemsInput {
  campaignId: string;
  offset: number;
  limit: number;
}
export interface CheckpointCampaignInput {
  campaignId: string;
  workflowId: string;
  spec: CampaignSpec;
  status: CampaignStatus;
  stopReason?: CampaignStopReason;
  counts: CampaignCounts;
  totals: CampaignTotals;
  startedAt: string;
  endedAt?: string;
  /** The outcomes since the last checkpoint; merged by itemHash, so sending one twice is harmless. */
  outcomes: ItemOutcome[];
}
export interface JudgeConversationInput {
  conversationId: string;
  jsonlPath: string;
  judge: JudgeSpec;
}

/** What became of a conversation that existed before its campaign tried to start it. */
export type ExistingConversation =
  | { state: 'completed'; result: ConversationResult }
  | { state: 'failed'; error: { type: string; message: string } };

export interface CampaignActivities {
  planCampaign(input: PlanCampaignInput): Promise<PlanCampaignOutput>;
  campaignItems(input: CampaignItemsInput): Promise<CampaignItem[]>;
  checkpointCampaign(input: CheckpointCampaignInput): Promise<unknown>;
  writeCampaignDataset(input: { campaignId: string }): Promise<{ files: string[] }>;
  judgeConversation(input: JudgeConversationInput): Promise<JudgeScore>;
  conversationOutcome(input: { workflowId: string }): Promise<ExistingConversation>;
}
