export type { GenerateInput, GenerateOptions, GenerateOutput, ModelProvider } from './types';
export { createBedrockProvider } from './bedrock';
export { createOllamaProvider } from './ollama';
export { createOpenAiProvider } from './openai';
export { createProvider } from './from-config';
