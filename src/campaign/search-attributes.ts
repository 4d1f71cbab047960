import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** On every conversation of a campaign: `CampaignId = "<campaignId>"` lists them (Web UI, CLI, the API). */
export const CAMPAIGN_ID = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);
