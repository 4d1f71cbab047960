/**
 * The worker's dependencies from its configuration: the real clients (the LLM REST service, the local Ollama
 * server), prices and budgets for the conversation's activities, and the campaign's plan and dataset activities.
 */
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { lambdaDefaultModel, loadLambdaConfig } from '../models/lambda-config';
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
  type ModelEndpoint,
  type ModelEndpoints,
} from '../models/endpoints';
import { createOpenAiClient, listOpenAiModels, replicatedOpenAiClient } from '../models/openai-client';
import type { ModelSource } from '../campaign/dataset/provenance';
import { DEFAULT_ENDPOINTS } from '../contracts/limits';
import { createReplicaSet, type ReplicaSet, type ReplicaStats } from '../models/replicas';
import { createTokenBucket } from '../conversation/activities/token-bucket';
import { createBatchJobs, type BatchJobs } from '../models/bedrock-batch/jobs';
import { createOllamaClient, replicatedOllamaClient } from '../models/ollama-client';
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

/**
 * The conversation's activity dependencies, with batch mode's whole job client, which the campaign's batcher uses
 * too, and the endpoints' replica sets, for their metrics.
 */
export type ConfiguredDeps = ActivitiesDeps & {
  cloudBatch: CloudBatchDeps & { jobs: BatchJobs };
  replicas: EndpointReplicas[];
};

/** An endpoint with replicas, and what its calls have done at each. */
export interface EndpointReplicas {
  endpoint: string;
  stats: () => ReplicaStats[];
}

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
  const replicas: EndpointReplicas[] = [];
  return {
    endpoints: endpointDeps(config, endpoints, prices, env, replicas),
    replicas,
    llmService: {
      client: createLlmServiceClient({
        baseUrl: config.LLM_SERVICE_URL,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        apiKey: config.API_KEY,
      }),
      maxTokens: config.CLOUD_MAX_TOKENS,
      contextTokens: endpoints.defaults.cloud.contextTokens,
      prices,
      ...(config.CLOUD_MAX_TOKENS_PER_MINUTE > 0 && {
        tokensPerMinute: createTokenBucket(config.CLOUD_MAX_TOKENS_PER_MINUTE),
      }),
    },
    ollama: {
      client: createOllamaClient(config.OLLAMA_HOST),
      model: config.OLLAMA_MODEL,
      maxTokens: config.LOCAL_MAX_TOKENS,
      contextTokens: endpoints.defaults.local.contextTokens,
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
  replicated: EndpointReplicas[],
): Map<string, EndpointDeps> {
  const byName = new Map<string, EndpointDeps>();
  for (const endpoint of endpoints.all) {
    if (endpoint === endpoints.defaults.cloud || endpoint === endpoints.defaults.local) continue;
    const apiKey = endpointApiKey(endpoint, env);
    const { name, caps } = endpoint;
    const cloud = {
      endpoint: name,
      maxTokens: config.CLOUD_MAX_TOKENS,
      contextTokens: endpoint.contextTokens,
      prices,
      ...(caps.maxTokensPerMinute > 0 && { tokensPerMinute: createTokenBucket(caps.maxTokensPerMinute) }),
    };
    const local = {
      endpoint: name,
      maxTokens: config.LOCAL_MAX_TOKENS,
      contextTokens: endpoint.contextTokens,
      prices,
    };
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
        client: overReplicas(endpoint, createOllamaClient, replicatedOllamaClient, replicated),
        model: endpoint.model ?? config.OLLAMA_MODEL,
      };
    } else {
      const client = overReplicas(
        endpoint,
        (url) => createOpenAiClient({ baseUrl: url, apiKey, label: `endpoint ${name}` }),
        replicatedOpenAiClient,
        replicated,
      );
      const api = endpoint.api ?? 'chat';
      const model = endpoint.model ?? config.OLLAMA_MODEL;
      deps.cloud = { ...cloud, client: openAiAnswerClient(client, api, model), provider: 'openai' };
      deps.local = { ...local, client: openAiQuestionServer(client, api), model };
    }
    byName.set(name, deps);
  }
  return byName;
}

/**
 * The endpoint's client: one server's, or one over its replicas (src/models/replicas.ts), whose set is added to
 * `replicated`.
 */
function overReplicas<C>(
  endpoint: ModelEndpoint,
  clientOf: (url: string) => C,
  overSet: (set: ReplicaSet<C>) => C,
  replicated: EndpointReplicas[],
): C {
  if (endpoint.replicas.length === 1) return clientOf(endpoint.baseUrl);
  const set = createReplicaSet(
    endpoint.replicas.map((r) => ({ ...r, client: clientOf(r.url) })),
    endpoint.routing,
  );
  replicated.push({ endpoint: endpoint.name, stats: () => set.stats() });
  return overSet(set);
}

/** The campaign's plan activities (INPUT_DIR, the output store) and dataset activities, over the worker's clients. */
export function campaignActivitiesFromConfig(
  config: Config,
  deps: ConfiguredDeps,
  endpoints?: ModelEndpoints,
  env: NodeJS.ProcessEnv = process.env,
): CampaignActivityImpls {
  return {
    ...makePlanActivities({ store: deps.output.store, inputDir: config.INPUT_DIR }),
    ...makeDatasetActivities(datasetDepsFromConfig(config, deps, env, endpoints)),
    ...makeCloudBatchJobActivities(deps.cloudBatch.jobs),
  };
}

/**
 * The dataset activities' dependencies in the worker: its clients, the output store, prices and token defaults. The cloud
 * side is described as the Lambda's variables in this process's environment configure it (the same `.env` as the
 * local gateway's Lambda): its MODEL_PROVIDER's model (lambdaDefaultModel), and with MODEL_PROVIDER=bedrock its
 * AWS_REGION. The transcripts' own model names take precedence in the manifest. Each endpoint's models are looked up
 * for provenance at that endpoint (`modelSources`): Ollama's /api/show, an OpenAI-compatible server's /v1/models.
 */
export function datasetDepsFromConfig(
  config: Config,
  deps: ActivitiesDeps,
  lambdaEnv: NodeJS.ProcessEnv = process.env,
  endpoints?: ModelEndpoints,
): DatasetDeps {
  const cloud = loadLambdaConfig(lambdaEnv);
  const awsRegion = cloud.MODEL_PROVIDER === 'bedrock' ? cloud.AWS_REGION : undefined;
  const modelSources = new Map<string, ModelSource>([
    [DEFAULT_ENDPOINTS.local, { kind: 'ollama', client: deps.ollama.client }],
    [DEFAULT_ENDPOINTS.cloud, { kind: 'bedrock', ...(awsRegion && { region: awsRegion }) }],
  ]);
  for (const endpoint of endpoints?.all ?? []) {
    if (modelSources.has(endpoint.name)) continue;
    modelSources.set(endpoint.name, modelSourceOf(endpoint, lambdaEnv));
  }
  return {
    store: deps.output.store,
    ollama: deps.ollama.client,
    llmService: deps.llmService.client,
    temporalNamespace: config.TEMPORAL_NAMESPACE,
    ...(awsRegion ? { awsRegion } : {}),
    modelSources,
    cloudModelDefault: lambdaDefaultModel(cloud),
    localModelDefault: deps.ollama.model,
    maxTokensDefault: { cloud: deps.llmService.maxTokens, local: deps.ollama.maxTokens },
    ...(deps.llmService.prices ? { prices: deps.llmService.prices } : {}),
  };
}

/** Where an endpoint's models are described: the endpoint itself (its first replica), named, never by URL. */
function modelSourceOf(endpoint: ModelEndpoint, env: NodeJS.ProcessEnv): ModelSource {
  switch (endpoint.kind) {
    case 'ollama':
      return { kind: 'ollama', client: createOllamaClient(endpoint.baseUrl) };
    case 'openai': {
      const options = {
        baseUrl: endpoint.baseUrl,
        apiKey: endpointApiKey(endpoint, env),
        label: `endpoint ${endpoint.name}`,
      };
      return { kind: 'openai', models: () => listOpenAiModels(options) };
    }
    case 'bedrock':
      return { kind: 'bedrock' };
  }
}
