import type { ModelCallRequest, ModelCallResult } from '../../src/shared/telemetry/model-call';
import type { GenerateInput, GenerateOutput } from './types';

/** The GenAI span's request attributes for a provider call. */
export function modelCall(provider: string, model: string, input: GenerateInput): ModelCallRequest {
  return { provider, model, maxTokens: input.maxTokens, temperature: input.temperature };
}

export function modelCallResult(output: GenerateOutput): ModelCallResult {
  return {
    model: output.model,
    finishReason: output.stopReason,
    inputTokens: output.inputTokens,
    outputTokens: output.outputTokens,
  };
}
