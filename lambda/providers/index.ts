import type { LambdaConfig } from '../../src/models/lambda-config';
import { createBedrockClient, createBedrockProvider } from './bedrock';
import { createOllamaClient } from '../../src/models/ollama-client';
import { createOllamaProvider } from './ollama';
import { createOpenAiClient } from '../../src/models/openai-client';
import { createOpenAiProvider } from './openai';
import type { ModelProvider } from './types';

export type { GenerateInput, GenerateOptions, GenerateOutput, ModelProvider } from './types';
export { createBedrockProvider } from './bedrock';
export { createOllamaProvider } from './ollama';
export { createOpenAiProvider } from './openai';

/**
 * The provider the configuration names, with its client created once for the container's lifetime. `env` holds the
 * API key OPENAI_API_KEY_ENV names (loadLambdaConfig has checked that it is set).
 */
export function createProvider(config: LambdaConfig, env: NodeJS.ProcessEnv = process.env): ModelProvider {
  switch (config.MODEL_PROVIDER) {
    case 'bedrock':
      return createBedrockProvider({
        client: createBedrockClient({
          region: config.AWS_REGION,
          timeoutMs: config.BEDROCK_TIMEOUT_MS,
          maxAttempts: config.BEDROCK_MAX_ATTEMPTS,
        }),
        modelId: config.BEDROCK_MODEL_ID,
        timeoutMs: config.BEDROCK_TIMEOUT_MS,
      });
    case 'ollama':
      return createOllamaProvider({
        client: createOllamaClient(config.OLLAMA_HOST),
        model: config.OLLAMA_MODEL,
      });
    case 'openai':
      return createOpenAiProvider({
        client: createOpenAiClient({
          baseUrl: config.OPENAI_BASE_URL,
          ...(config.OPENAI_API_KEY_ENV && { apiKey: env[config.OPENAI_API_KEY_ENV] }),
        }),
        model: config.OPENAI_MODEL,
        api: config.OPENAI_API,
      });
  }
}
