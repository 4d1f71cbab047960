/**
 * The worker's dependencies from its configuration: the real clients (the LLM REST service, the local Ollama
 * server), prices and budgets for the conversation's activities, and the campaign's plan and dataset activities.
 */
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { loadLambdaConfig } from '../../lambda/config';
import {
  makeCloudBatchJobActivities,
  makeDatasetActivities,
  makePlanActivities,
} from '../campaign/activities';
import type { CampaignActivityImpls, DatasetDeps } from '../campaign/activities';
import type { ActivitiesDeps } from '../conversation/activities';
import { createLlmServiceClient } from '../conversation/activities/llm-service-client';
import { createTokenBucket } from '../conversation/activities/token-bucket';
import { createBatchJobs, type BatchJobs } from '../models/bedrock-batch/jobs';
import { createOllamaClient } from '../models/ollama-client';
import { s3ClientFromEnv } from '../output/s3-store';
import { loadModelPrices } from '../models/prices';
import { openOutputStore } from '../output/open-store';
import type { Config } from '../shared/config';

/**
 * Batch mode's clients: the Bedrock control plane and S3, from the AWS SDK's standard variables (AWS_REGION, keys,
 * AWS_ENDPOINT_URL_BEDROCK and AWS_ENDPOINT_URL_S3 for local stand-ins). Nothing is called until a batch campaign
 * runs.
 */
export function batchJobsFromEnv(env: NodeJS.ProcessEnv = process.env): BatchJobs {
  return createBatchJobs({
    bedrock: new BedrockClient({ region: env.AWS_REGION || loadLambdaConfig(env).AWS_REGION }),
    s3: s3ClientFromEnv(env),
  });
}

/** The real clients (the LLM REST service, the local Ollama server), the price table and the cloud budget. */
export function activitiesDepsFromConfig(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): ActivitiesDeps {
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
    cloudBatch: {
      jobs: batchJobsFromEnv(env),
      defaultModelId: loadLambdaConfig(env).BEDROCK_MODEL_ID,
      maxTokens: config.CLOUD_MAX_TOKENS,
      prices,
    },
  };
}

/** The campaign's plan activities (INPUT_DIR, the output store) and dataset activities, over the worker's clients. */
export function campaignActivitiesFromConfig(config: Config, deps: ActivitiesDeps): CampaignActivityImpls {
  return {
    ...makePlanActivities({ store: deps.output.store, inputDir: config.INPUT_DIR }),
    ...makeDatasetActivities(datasetDepsFromConfig(config, deps)),
    ...makeCloudBatchJobActivities(batchJobsFromEnv()),
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
