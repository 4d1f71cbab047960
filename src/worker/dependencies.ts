/**
 * The worker's dependencies from its configuration: the real clients (the LLM REST service, the local Ollama
 * server), prices and budgets for the conversation's activities, and the campaign's plan and dataset activities.
 */
import { loadLambdaConfig } from '../../lambda/config';
import { makeDatasetActivities, makePlanActivities } from '../campaign/activities';
import type { CampaignActivityImpls, DatasetDeps } from '../campaign/activities';
import type { ActivitiesDeps } from '../conversation/activities';
import { createLlmServiceClient } from '../conversation/activities/llm-service-client';
import { createTokenBucket } from '../conversation/activities/token-bucket';
import { createOllamaClient } from '../models/ollama-client';
import { loadModelPrices } from '../models/prices';
import { openOutputStore } from '../output/open-store';
import type { Config } from '../shared/config';

/** The real clients (the LLM REST service, the local Ollama server), the price table and the cloud budget. */
export function activitiesDepsFromConfig(config: Config): ActivitiesDeps {
  const prices = loadModelPrices(config.MODEL_PRICES_FILE);
  return {
    llmService: {
      client: createLlmServiceClient({
        baseUrl: config.LLM_SERVICE_URL,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        apiKey: config.API_KEY,
      }),
      maxTokens: config.CLOUD_MAX_TOKENS,
      prices,
      ...(config.CLOUD_MAX_TOKENS_PER_MINUTE > 0 && {
        tokensPerMinute: createTokenBucket(config.CLOUD_MAX_TOKENS_PER_MINUTE),
      }),
    },
    ollama: {
      client: createOllamaClient(config.OLLAMA_HOST),
      model: config.OLLAMA_MODEL,
      maxTokens: config.LOCAL_MAX_TOKENS,
      prices,
    },
    output: { store: openOutputStore(config), escapeFormulas: config.CSV_ESCAPE_FORMULAS },
  };
}

/** The campaign's plan activities (INPUT_DIR, the output store) and dataset activities, over the worker's clients. */
export function campaignActivitiesFromConfig(config: Config, deps: ActivitiesDeps): CampaignActivityImpls {
  return {
    ...makePlanActivities({ store: deps.output.store, inputDir: config.INPUT_DIR }),
    ...makeDatasetActivities(datasetDepsFromConfig(config, deps)),
  };
}

/**
 * The dataset activities' dependencies in the worker: its clients, the output store, prices and token defaults. The cloud
 * side is described as the Lambda's variables in this process's environment configure it (the same `.env` as the
 * local gateway's Lambda): with MODEL_PROVIDER=bedrock, BEDROCK_MODEL_ID and AWS_REGION; else its OLLAMA_MODEL and
 * no region. The transcripts' own model names take precedence in the manifest.
 */
export function datasetDepsFromConfig(
  config: Config,
  deps: ActivitiesDeps,
  lambdaEnv: NodeJS.ProcessEnv = process.env,
): DatasetDeps {
  const cloud = loadLambdaConfig(lambdaEnv);
  const bedrock = cloud.MODEL_PROVIDER === 'bedrock';
  return {
    store: deps.output.store,
    ollama: deps.ollama.client,
    llmService: deps.llmService.client,
    temporalNamespace: config.TEMPORAL_NAMESPACE,
    ...(bedrock ? { awsRegion: cloud.AWS_REGION } : {}),
    cloudModelDefault: bedrock ? cloud.BEDROCK_MODEL_ID : cloud.OLLAMA_MODEL,
    localModelDefault: deps.ollama.model,
    maxTokensDefault: { cloud: deps.llmService.maxTokens, local: deps.ollama.maxTokens },
    ...(deps.llmService.prices ? { prices: deps.llmService.prices } : {}),
  };
}
