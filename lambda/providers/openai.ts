import {
  isAbortError,
  isTimeoutError,
  isUpstreamError,
  messageOf,
  UpstreamError,
} from '../../src/contracts/errors';
import { answerWithOpenAi } from '../../src/models/openai-answer';
import type { OpenAiApi, OpenAiClient } from '../../src/models/openai-client';
import { traceModelCall } from '../../src/shared/telemetry/model-call';
import { bedrockStopReason } from './stop-reasons';
import { modelCall, modelCallResult } from './traced';
import type { GenerateInput, GenerateOptions, GenerateOutput, ModelProvider } from './types';

export interface OpenAiProviderOptions {
  client: OpenAiClient;
  model: string;
  /** `chat` for a chat model; `completions` for a base model, prompted with a question-and-answer transcript. */
  api: OpenAiApi;
}

/**
 * A model server that speaks the OpenAI-compatible API (vLLM, SGLang, TGI, llama.cpp's server, LM Studio, Ollama's
 * /v1), so the cloud side can be a fleet of such servers behind one URL.
 */
export function createOpenAiProvider({
  client,
  model: defaultModel,
  api,
}: OpenAiProviderOptions): ModelProvider {
  return {
    name: 'openai',
    async generate(input: GenerateInput, options: GenerateOptions = {}): Promise<GenerateOutput> {
      const model = input.model || defaultModel;
      const call = {
        ...(options.signal && { signal: options.signal }),
        ...(options.deadline !== undefined && { deadline: options.deadline }),
        ...(options.requestId && { requestId: options.requestId }),
      };
      return traceModelCall(
        modelCall('openai', model, input),
        async () => {
          let reply;
          try {
            reply = await answerWithOpenAi(client, api, { ...input, model }, call);
          } catch (err) {
            throw toUpstreamError(err);
          }
          return {
            text: reply.text,
            model: reply.model,
            stopReason: bedrockStopReason(reply.finishReason),
            inputTokens: reply.usage.inputTokens,
            outputTokens: reply.usage.outputTokens,
          };
        },
        modelCallResult,
      );
    },
  };
}

/** The client throws UpstreamErrors but for an abort that is not a timeout, which ends the call all the same. */
function toUpstreamError(err: unknown): UpstreamError {
  if (isUpstreamError(err)) return err;
  const message = `OpenAI-compatible server: ${messageOf(err)}`;
  return isTimeoutError(err) || isAbortError(err)
    ? new UpstreamError(504, 'UPSTREAM_TIMEOUT', message, true, { cause: err })
    : new UpstreamError(502, 'UPSTREAM_ERROR', message, true, { cause: err });
}
