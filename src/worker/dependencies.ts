/**
 * The worker's dependencies from its configuration: the real clients (the LLM REST service, the local Ollama
 * server), prices and budgets for the conversation's activities, and the campaign's plan and dataset activities.
 */
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { loadLambdaConfig } from '../models/lambda-config';
import {
  makeCloudBatchJobActivities,
  makeDatasetActivities,
  makePlanActivities,
} from '../campaign/activities';
import type { CampaignActivityImpls, DatasetDeps } from '../campaign/activities';
import type { ActivitiesDeps, EndpointDeps } from '../conversation/activities';
import type { CloudBatchDeps } from '../conversation/activities/batch-turn';
import { createLlmServiceClient, openAiAnswerClient } from '../conversation/activities/llm-service-client';
import { openAiQuestionServer } from '../conversation/activities/question-server';
import {
  endpointApiKey,
  endpointTaskQueue,
  isCapped,
  loadModelEndpoints,
  type ModelEndpoints,
} from '../models/endpoints';
import { createOpenAiClient } from '../models/openai-client';
import { createTokenBucket } from '../conversation/activities/token-bucket';
import { createBatchJobs, type BatchJobs } from '../models/bedrock-batch/jobs';
import { createOllamaClient } from '../models/ollama-client';
import { s3ClientFromEnv } from '../output/s3-store';
import { loadModelPrices, type ModelPrices } from '../models/prices';
import { openOutputStore } from '../output/open-store';
import type { Config } from '../shared/config';

/**
 * Batch mode's clients: the Bedrock control plane and S3, from the AWS SDK's standard variables (AWS_REGION, keys,
 * AWS_ENDPOINT_URL_BEDROCK and AWS_ENDPOINT_URL_S3 for local stand-ins). Nothing is called until a batch campaign
 * runs.
 */
function batchJobsFromEnv(env: NodeJS.ProcessEnv, lambdaRegion: string): BatchJobs {
  return createBatchJobs({
    bedrock: new BedrockClient({ region: env.AWS_REGION || lambdaRegion }),
    s3: s3ClientFromEnv(env),
  });
}

/** The conversation's activity dependencies, with batch mode's whole job client, which the campaign's batcher uses too. */
export type ConfiguredDeps = ActivitiesDeps & { cloudBatch: CloudBatchDeps & { jobs: BatchJobs } };

/**
 * The real clients (the LLM REST service, the local Ollama server, the other endpoints of MODEL_ENDPOINTS_FILE),
 * the price table and the cloud budget. An endpoint's key is read here, at start, so a missing one stops the worker.
 */
export function activitiesDepsFromConfig(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  endpoints: ModelEndpoints = loadModelEndpoints(config, config.MODEL_ENDPOINTS_FILE),
): ConfiguredDeps {
  const prices = loadModelPrices(config.MODEL_PRICES_FILE);
  const lambda = loadLambdaConfig(env);
  return {
    endpoints: endpointDeps(config, endpoints, prices, env),
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
      jobs: batchJobsFromEnv(env, lambda.AWS_REGION),
      defaultModelId: lambda.BEDROCK_MODEL_ID,
      maxTokens: config.CLOUD_MAX_TOKENS,
      prices,
    },
  };
}

/**
 * What each side calls at the endpoints besides the defaults: the cloud side answers through an LLM REST service
 * (`bedrock`, the Lambda path) or straight from an OpenAI-compatible server, the local side asks Ollama or such a
 * server (SIDE_KINDS). A capped endpoint's calls run on its own task queue.
 */
function endpointDeps(
  config: Config,
  endpoints: ModelEndpoints,
  prices: ModelPrices,
  env: NodeJS.ProcessEnv,
): Map<string, EndpointDeps> {
  const byName = new Map<string, EndpointDeps>();
  for (const endpoint of endpoints.all) {
    if (endpoint === endpoints.defaults.cloud || endpoint === endpoints.defaults.local) continue;
    const apiKey = endpointApiKey(endpoint, env);
    const { name, caps } = endpoint;
    const cloud = {
      endpoint: name,
      maxTokens: config.CLOUD_MAX_TOKENS,
      prices,
      ...(caps.maxTokensPerMinute > 0 && { tokensPerMinute: createTokenBucket(caps.maxTokensPerMinute) }),
    };
    const local = { endpoint: name, maxTokens: config.LOCAL_MAX_TOKENS, prices };
    const deps: EndpointDeps = isCapped(caps) ? { taskQueue: endpointTaskQueue(endpoint, config) } : {};
    if (endpoint.kind === 'bedrock') {
      deps.cloud = {
        ...cloud,
        client: createLlmServiceClient({
          baseUrl: endpoint.baseUrl,
          timeoutMs: config.UPSTREAM_TIMEOUT_MS,
          apiKey,
        }),
      };
    } else if (endpoint.kind === 'ollama') {
      deps.local = {
        ...local,
        client: createOllamaClient(endpoint.baseUrl),
        model: endpoint.model ?? config.OLLAMA_MODEL,
      };
    } else {
      const client = createOpenAiClient({ baseUrl: endpoint.baseUrl, apiKey, label: `endpoint ${name}` });
      const api = endpoint.api ?? 'chat';
      const model = endpoint.model ?? config.OLLAMA_MODEL;
      deps.cloud = { ...cloud, client: openAiAnswerClient(client, api, model), provider: 'openai' };
      deps.local = { ...local, client: openAiQuestionServer(client, api), model };
    }
    byName.set(name, deps);
  }
  return byName;
}

/** The campaign's plan activities (INPUT_DIR, the output store) and dataset activities, over the worker's clients. */
export function campaignActivitiesFromConfig(config: Config, deps: ConfiguredDeps): CampaignActivityImpls {
  return {
    ...makePlanActivities({ store: deps.output.store, inputDir: config.INPUT_DIR }),
    ...makeDatasetActivities(datasetDepsFromConfig(config, deps)),
    ...makeCloudBatchJobActivities(deps.cloudBatch.jobs),
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
