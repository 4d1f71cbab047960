/**
 * The campaign workflow's signals and query, shared by the workflow, the API and the CLI. Pure: the workflow
 * bundle imports it.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CampaignCounts, CampaignStatus, CampaignStopReason, CampaignTotals } from '../contracts/campaign';

/** What `GET /campaigns/:id` and the CLI's progress bar show; the `campaignStatus` query's answer. */
export interface CampaignStatusView {
  campaignId: string;
  workflowId: string;
  name?: string;
  status: CampaignStatus;
  stopReason?: CampaignStopReason;
  itemCount: number;
  counts: CampaignCounts;
  totals: CampaignTotals;
  /** ISO 8601 UTC. */
  startedAt: string;
  endedAt?: string;
  elapsedMs: number;
  /** From the pace so far; unset until an item has finished. */
  etaMs?: number;
  turnsPerSecond: number;
  /** Set when the budget stopped new starts: what was reached. */
  budget?: { maxTokens?: number; maxCostUsd?: number; reached: boolean };
}

export const campaignStatusQuery = defineQuery<CampaignStatusView>('campaignStatus');
/** Holds new starts; the running conversations are paused too (they finish their current turn and wait). */
export const pauseCampaignSignal = defineSignal('pause');
export const resumeCampaignSignal = defineSignal('resume');
/** Stops new starts and cancels the running conversations, which still export what they said. */
export const cancelCampaignSignal = defineSignal('cancel');
