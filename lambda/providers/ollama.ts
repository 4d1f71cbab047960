import type { ChatResponse, GenerateResponse, Message } from 'ollama';
import {
  BadUpstreamResponseError,
  isAbortError,
  isBadUpstreamResponse,
  isConnectionError,
  isTimeoutError,
  messageOf,
  UpstreamError,
} from '../../src/contracts/errors';
import {
  chatTemplateCheck,
  completionOptions,
  completionText,
  nextAnswerPrompt,
} from '../../src/models/base-model-prompt';
import type { OllamaClient, OllamaCallOptions } from '../../src/models/ollama-client';
import { withoutUrls } from '../../src/contracts/text';
import { unreachable } from './errors';
import { traceModelCall } from '../../src/shared/telemetry/model-call';
import { bedrockStopReason } from './stop-reasons';
import { modelCall, modelCallResult } from './traced';
import type { GenerateInput, GenerateOptions, GenerateOutput, ModelProvider } from './types';

export interface OllamaProviderOptions {
  client: OllamaClient;
  model: string;
}

/**
 * A local Ollama model standing in for Bedrock where no AWS account is configured: a chat model through the chat
 * API, a base model (one without a chat template) as the continuation of a dialogue transcript.
 */
export function createOllamaProvider({ client, model: defaultModel }: OllamaProviderOptions): ModelProvider {
  const hasChatTemplate = chatTemplateCheck((request) => client.show(request));

  async function chat(model: string, input: GenerateInput, call: OllamaCallOptions): Promise<GenerateOutput> {
    const messages: Message[] = [
      ...(input.system ? [{ role: 'system', content: input.system }] : []),
      ...input.messages,
    ];
    const response = await client.chat(
      {
        model,
        messages,
        stream: false,
        options: { num_predict: input.maxTokens, temperature: input.temperature, top_p: input.topP },
      },
      call,
    );
    return output(response, response.message.content.trim(), model);
  }

  async function complete(
    model: string,
    input: GenerateInput,
    call: OllamaCallOptions,
  ): Promise<GenerateOutput> {
    const response = await client.generate(
      {
        model,
        prompt: nextAnswerPrompt(input.messages, input.system || undefined),
        raw: true,
        stream: false,
        options: completionOptions(input),
      },
      call,
    );
    return output(response, completionText(response.response ?? ''), model);
  }

  return {
    name: 'ollama',
    async generate(input: GenerateInput, options: GenerateOptions = {}): Promise<GenerateOutput> {
      const model = input.model || defaultModel;
      // The deadline's abort ends the generation too, so a call the caller gave up on does not hold the model.
      // The request id goes on to Ollama, so its logs (or a proxy's) tell a retried call from a new one.
      const call: OllamaCallOptions = {
        ...(options.signal && { signal: options.signal }),
        ...(options.requestId && { requestId: options.requestId }),
      };
      return traceModelCall(
        modelCall('ollama', model, input),
        async () => {
          try {
            return await ((await hasChatTemplate(model)) ? chat : complete)(model, input, call);
          } catch (err) {
            throw toUpstreamError(err);
          }
        },
        modelCallResult,
      );
    },
  };
}

function output(response: ChatResponse | GenerateResponse, text: string, model: string): GenerateOutput {
  return {
    text,
    model: response.model || model,
    stopReason: bedrockStopReason(response.done_reason),
    inputTokens: response.prompt_eval_count ?? 0,
    outputTokens: response.eval_count ?? 0,
  };
}

function toUpstreamError(err: unknown): UpstreamError {
  if (isConnectionError(err)) return unreachable('Ollama', err);
  if (isBadUpstreamResponse(err)) {
    return new BadUpstreamResponseError(
      `Ollama sent a reply that is not JSON: ${withoutUrls(messageOf(err))}`,
      {
        cause: err,
      },
    );
  }
  if (isTimeoutError(err) || isAbortError(err)) {
    return new UpstreamError(504, 'UPSTREAM_TIMEOUT', `Ollama: no answer before the deadline`, true, {
      cause: err,
    });
  }
  const status = (err as { status_code?: unknown }).status_code;
  const message = `Ollama: ${withoutUrls(messageOf(err))}`;
  if (typeof status !== 'number')
    return new UpstreamError(502, 'UPSTREAM_ERROR', message, true, { cause: err });
  if (status === 404) return new UpstreamError(404, 'MODEL_NOT_FOUND', message, false, { cause: err });
  if (status === 429) return new UpstreamError(429, 'THROTTLED', message, true, { cause: err });
  if (status === 503) return new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', message, true, { cause: err });
  if (status >= 400 && status < 500)
    return new UpstreamError(400, 'INVALID_REQUEST', message, false, { cause: err });
  return new UpstreamError(502, 'UPSTREAM_ERROR', message, true, { cause: err });
}
