import type { LambdaConfig } from '../config';
import { createBedrockClient, createBedrockProvider } from './bedrock';
import { createOllamaClient } from '../../src/models/ollama-client';
import { createOllamaProvider } from './ollama';
import type { ModelProvider } from './types';

export type { GenerateInput, GenerateOptions, GenerateOutput, ModelProvider } from './types';
export { createBedrockProvider } from './bedrock';
export { createOllamaProvider } from './ollama';

/** The provider the configuration names, with its client created once for the container's lifetime. */
export function createProvider(config: LambdaConfig): ModelProvider {
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
  }
}
