import type { LambdaConfig } from '../../src/models/lambda-config';
import type * as OllamaClientModule from '../../src/models/ollama-client';
import type * as OpenAiClientModule from '../../src/models/openai-client';
import { createBedrockClient, createBedrockProvider } from './bedrock';
import type * as OllamaModule from './ollama';
import type * as OpenAiModule from './openai';
import type { ModelProvider } from './types';

/* eslint-disable @typescript-eslint/no-require-imports -- the other providers' modules load only when named. */

/**
 * Each provider built from its own modules. Bedrock's are imported as usual (the function's provider in AWS); the
 * others are required when a configuration names them, so a Bedrock function's cold start neither runs the Ollama
 * and OpenAI-compatible clients nor their dependencies. (Bedrock's required the same way would wrap every module of
 * the AWS SDK for lazy start, which costs a Bedrock cold start more than it saves the others.)
 */
const BUILDERS: Record<
  LambdaConfig['MODEL_PROVIDER'],
  (config: LambdaConfig, env: NodeJS.ProcessEnv) => ModelProvider
> = {
  bedrock: (config) => {
    return createBedrockProvider({
      client: createBedrockClient({
        region: config.AWS_REGION,
        timeoutMs: config.BEDROCK_TIMEOUT_MS,
        maxAttempts: config.BEDROCK_MAX_ATTEMPTS,
      }),
      modelId: config.BEDROCK_MODEL_ID,
      timeoutMs: config.BEDROCK_TIMEOUT_MS,
    });
  },
  ollama: (config) => {
    const { createOllamaProvider } = require('./ollama') as typeof OllamaModule;
    const { createOllamaClient } = require('../../src/models/ollama-client') as typeof OllamaClientModule;
    return createOllamaProvider({
      client: createOllamaClient(config.OLLAMA_HOST),
      model: config.OLLAMA_MODEL,
    });
  },
  openai: (config, env) => {
    const { createOpenAiProvider } = require('./openai') as typeof OpenAiModule;
    const { createOpenAiClient } = require('../../src/models/openai-client') as typeof OpenAiClientModule;
    return createOpenAiProvider({
      client: createOpenAiClient({
        baseUrl: config.OPENAI_BASE_URL,
        ...(config.OPENAI_API_KEY_ENV && { apiKey: env[config.OPENAI_API_KEY_ENV] }),
      }),
      model: config.OPENAI_MODEL,
      api: config.OPENAI_API,
    });
  },
};

/**
 * The provider the configuration names, with its client created once for the container's lifetime. `env` holds the
 * API key OPENAI_API_KEY_ENV names (loadLambdaConfig has checked that it is set).
 */
export function createProvider(config: LambdaConfig, env: NodeJS.ProcessEnv = process.env): ModelProvider {
  return BUILDERS[config.MODEL_PROVIDER](config, env);
}
