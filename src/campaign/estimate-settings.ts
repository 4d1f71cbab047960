/**
 * What a campaign's estimate needs from the running configuration: the price table (MODEL_PRICES_FILE), each side's
 * default model and answer length, and the provider caps. Assembled once by the process that answers estimates (the
 * Conversation API, the campaign CLI) from the same environment the worker reads.
 */
import { lambdaDefaultModel, loadLambdaConfig } from '../models/lambda-config';
import { DEFAULT_CAMPAIGN_CONCURRENCY } from '../contracts/campaign-spec';
import { loadModelPrices } from '../models/prices';
import type { Config } from '../shared/config';
import { estimateCampaign } from './estimate';
import type { CampaignEstimate, EstimateInput, MeasuredRate, Side } from './estimate';
import type { ValidCampaign } from './validate';

export type EstimateSettings = Pick<EstimateInput, 'prices' | 'defaults' | 'caps'>;

export type EstimateConfig = Pick<
  Config,
  | 'MODEL_PRICES_FILE'
  | 'OLLAMA_MODEL'
  | 'CLOUD_MAX_TOKENS'
  | 'LOCAL_MAX_TOKENS'
  | 'CLOUD_MAX_CONCURRENT_CALLS'
  | 'CLOUD_MAX_CALLS_PER_SECOND'
  | 'CLOUD_MAX_TOKENS_PER_MINUTE'
  | 'LOCAL_MAX_CONCURRENT_CALLS'
  | 'LOCAL_MAX_CALLS_PER_SECOND'
>;

/** The cloud side's default model is the Lambda's (lambdaDefaultModel: its MODEL_PROVIDER's model variable). */
export function estimateSettingsFromConfig(
  config: EstimateConfig,
  lambdaEnv: NodeJS.ProcessEnv = process.env,
): EstimateSettings {
  const cloud = loadLambdaConfig(lambdaEnv);
  return {
    prices: loadModelPrices(config.MODEL_PRICES_FILE),
    defaults: {
      cloudModel: lambdaDefaultModel(cloud),
      localModel: config.OLLAMA_MODEL,
      cloudMaxTokens: config.CLOUD_MAX_TOKENS,
      localMaxTokens: config.LOCAL_MAX_TOKENS,
    },
    caps: {
      cloud: {
        maxConcurrentCalls: config.CLOUD_MAX_CONCURRENT_CALLS,
        maxCallsPerSecond: config.CLOUD_MAX_CALLS_PER_SECOND,
        maxTokensPerMinute: config.CLOUD_MAX_TOKENS_PER_MINUTE,
      },
      local: {
        maxConcurrentCalls: config.LOCAL_MAX_CONCURRENT_CALLS,
        maxCallsPerSecond: config.LOCAL_MAX_CALLS_PER_SECOND,
      },
    },
  };
}

/** The estimate of a checked spec. */
export function estimateOf(
  campaign: ValidCampaign,
  settings: EstimateSettings,
  measured?: Partial<Record<Side, MeasuredRate>>,
): CampaignEstimate {
  const { spec } = campaign;
  return estimateCampaign({
    ...settings,
    items: campaign.items,
    concurrency: spec.concurrency ?? DEFAULT_CAMPAIGN_CONCURRENCY,
    ...(spec.novelty !== undefined && { novelty: spec.novelty }),
    ...(spec.judge && { judge: spec.judge }),
    ...(spec.budget && { budget: spec.budget }),
    ...(measured && { measured }),
  });
}
