import {
  isAbortError,
  isTimeoutError,
  isUpstreamError,
  messageOf,
  UpstreamError,
} from '../../src/contracts/errors';
import { completionSampling, completionText, nextAnswerPrompt } from '../../src/models/base-model-prompt';
import type { OpenAiApi, OpenAiCallOptions, OpenAiClient } from '../../src/models/openai-client';
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
  async function chat(model: string, input: GenerateInput, call: OpenAiCallOptions): Promise<GenerateOutput> {
    const reply = await client.chat(
      {
        model,
        messages: [
          ...(input.system ? [{ role: 'system' as const, content: input.system }] : []),
          ...input.messages,
        ],
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        topP: input.topP,
      },
      call,
    );
    return { ...output(reply), text: reply.text.trim() };
  }

  async function complete(
    model: string,
    input: GenerateInput,
    call: OpenAiCallOptions,
  ): Promise<GenerateOutput> {
    const reply = await client.complete(
      {
        model,
        prompt: nextAnswerPrompt(input.messages, input.system || undefined),
        ...completionSampling(input),
      },
      call,
    );
    return { ...output(reply), text: completionText(reply.text) };
  }

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
          try {
            return await (api === 'chat' ? chat : complete)(model, input, call);
          } catch (err) {
            throw toUpstreamError(err);
          }
        },
        modelCallResult,
      );
    },
  };
}

function output(reply: Awaited<ReturnType<OpenAiClient['chat']>>): Omit<GenerateOutput, 'text'> {
  return {
    model: reply.model,
    stopReason: bedrockStopReason(reply.finishReason),
    inputTokens: reply.usage.inputTokens,
    outputTokens: reply.usage.outputTokens,
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
