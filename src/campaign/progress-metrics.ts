/**
 * Campaign progress for the worker's metrics endpoint: each checkpoint of a campaign (checkpointCampaign, which the
 * campaign workflow runs whenever its items' states change) sets every state's count, so states that emptied drop
 * to 0. The last values stay after the campaign ends.
 */
import client from 'prom-client';
import type { Registry } from 'prom-client';
import type { CampaignActivities } from './workflows/activities';
import type { ItemState } from '../contracts/campaign';

const STATES: ItemState[] = ['pending', 'running', 'completed', 'failed', 'skipped'];

export interface CampaignProgressMetrics {
  record(campaignId: string, counts: Partial<Record<ItemState, number>>): void;
}

export function createCampaignProgressMetrics(registry: Registry): CampaignProgressMetrics {
  const items = new client.Gauge({
    name: 'llm_campaign_items',
    help: "A campaign's items by state (pending, running, completed, failed, skipped)",
    labelNames: ['campaign_id', 'state'] as const,
    registers: [registry],
  });
  return {
    record(campaignId, counts) {
      for (const state of STATES) items.set({ campaign_id: campaignId, state }, counts[state] ?? 0);
    },
  };
}

/** `checkpointCampaign` that also records the campaign's counts once its manifest is written. */
export function withCampaignProgress<T extends Pick<CampaignActivities, 'checkpointCampaign'>>(
  activities: T,
  progress: CampaignProgressMetrics,
): T {
  return {
    ...activities,
    async checkpointCampaign(input) {
      const output = await activities.checkpointCampaign(input);
      progress.record(input.campaignId, input.counts);
      return output;
    },
  };
}
