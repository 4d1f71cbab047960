import { Ollama } from 'ollama';
import type { ChatResponse, Message } from 'ollama';
import { UpstreamError } from '../../src/contracts/errors';
import { isConnectionError, messageOf, unreachable } from './errors';
import type { GenerateInput, GenerateOutput, ModelProvider } from './types';

export interface OllamaProviderOptions {
  client: Pick<Ollama, 'chat'>;
  model: string;
}

export function createOllamaClient(host: string): Ollama {
  return new Ollama({ host });
}

/** Ollama's `done_reason` in Bedrock's vocabulary, so callers see one set of stop reasons. */
const STOP_REASONS: Record<string, string> = { stop: 'end_turn', length: 'max_tokens' };

/** A local Ollama model standing in for Bedrock where no AWS account is configured. */
export function createOllamaProvider({ client, model: defaultModel }: OllamaProviderOptions): ModelProvider {
  return {
    name: 'ollama',
    async generate(input: GenerateInput): Promise<GenerateOutput> {
      const model = input.model || defaultModel;
      const messages: Message[] = [
        ...(input.system ? [{ role: 'system', content: input.system }] : []),
        ...input.messages,
      ];
      let response: ChatResponse;
      try {
        response = await client.chat({
          model,
          messages,
          stream: false,
          options: { num_predict: input.maxTokens, temperature: input.temperature, top_p: input.topP },
        });
      } catch (err) {
        throw toUpstreamError(err);
      }
      return {
        text: response.message.content.trim(),
        model: response.model || model,
        stopReason: STOP_REASONS[response.done_reason] ?? response.done_reason ?? 'end_turn',
        inputTokens: response.prompt_eval_count ?? 0,
        outputTokens: response.eval_count ?? 0,
      };
    },
  };
}

function toUpstreamError(err: unknown): UpstreamError {
  if (isConnectionError(err)) return unreachable('Ollama', err);
  const status = (err as { status_code?: unknown }).status_code;
  const message = `Ollama: ${messageOf(err)}`;
  if (typeof status !== 'number')
    return new UpstreamError(502, 'UPSTREAM_ERROR', message, true, { cause: err });
  if (status === 404) return new UpstreamError(404, 'MODEL_NOT_FOUND', message, false, { cause: err });
  if (status === 429) return new UpstreamError(429, 'THROTTLED', message, true, { cause: err });
  if (status === 503) return new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', message, true, { cause: err });
  if (status >= 400 && status < 500)
    return new UpstreamError(400, 'INVALID_REQUEST', message, false, { cause: err });
  return new UpstreamError(502, 'UPSTREAM_ERROR', message, true, { cause: err });
}
