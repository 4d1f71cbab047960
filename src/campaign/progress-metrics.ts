/**
 * Campaign progress for the worker's metrics endpoint: the campaign code calls `record` whenever its items' states
 * change (with every state's count, so states that emptied drop to 0). Kept apart from the campaign's own modules so
 * it can be wired where the campaign activities are built: `createCampaignProgressMetrics(metrics.registry)`.
 */
import client from 'prom-client';
import type { Registry } from 'prom-client';
import type { ItemState } from './types';

const STATES: ItemState[] = ['pending', 'running', 'completed', 'failed', 'skipped'];

export interface CampaignProgressMetrics {
  record(campaignId: string, counts: Partial<Record<ItemState, number>>): void;
  /** A campaign that ended or was cancelled: its series go away. */
  forget(campaignId: string): void;
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
    forget(campaignId) {
      for (const state of STATES) items.remove({ campaign_id: campaignId, state });
    },
  };
}
