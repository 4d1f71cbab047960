/**
 * The model server the local side asks for its next question: Ollama's own API, or an OpenAI-compatible one
 * (vLLM, llama.cpp's server, LM Studio, Ollama's /v1). askLocal builds the prompts (see local.ts); a server only
 * carries them, with the sampling its API has.
 */
import type { TokenUsage } from '../../contracts/conversation';
import { chatTemplateCheck, completionOptions, completionSampling } from '../../models/base-model-prompt';
import type { OllamaCallOptions, OllamaClient } from '../../models/ollama-client';
import type { QuestionMessage } from '../../models/question-prompt';
import type { OpenAiApi, OpenAiCallOptions, OpenAiClient } from '../../models/openai-client';

export interface QuestionCall {
  model: string;
  maxTokens: number;
  temperature?: number;
  /** A resample's own seed (see resample-prompt.ts). */
  seed?: number;
}

export interface ServerReply {
  text: string;
  /** The model the server says answered; empty when it does not say. */
  model: string;
  usage: TokenUsage;
  /** `stop`, `length`, ... */
  finishReason: string;
}

export interface QuestionServer {
  /** For metrics and traces (`gen_ai.provider.name`). */
  readonly provider: string;
  /** A chat model is asked through the chat API; a base model continues a transcript (base-model-prompt.ts). */
  isChatModel(model: string): Promise<boolean>;
  chat(
    request: QuestionCall & { messages: QuestionMessage[] },
    call: OpenAiCallOptions,
  ): Promise<ServerReply>;
  /** The transcript continued with the base-model sampling (stop sequences included). */
  complete(request: QuestionCall & { prompt: string }, call: OpenAiCallOptions): Promise<ServerReply>;
}

/** Ollama's own API: the template `/api/show` reports tells a chat model from a base one. */
export function ollamaQuestionServer(client: OllamaClient): QuestionServer {
  // Ollama stops generating when the request goes away; the activity's cancellation is its deadline.
  const ollamaCall = ({ signal, requestId, routeKey, onReplica }: OpenAiCallOptions): OllamaCallOptions => ({
    ...(signal && { signal }),
    ...(requestId && { requestId }),
    ...(routeKey !== undefined && { routeKey }),
    ...(onReplica && { onReplica }),
  });
  return {
    provider: 'ollama',
    isChatModel: chatTemplateCheck((request) => client.show(request)),
    async chat({ model, messages, maxTokens, temperature, seed }, call) {
      const res = await client.chat(
        {
          model,
          stream: false,
          messages,
          options: {
            num_predict: maxTokens,
            ...(temperature === undefined ? {} : { temperature }),
            ...(seed === undefined ? {} : { seed }),
          },
        },
        ollamaCall(call),
      );
      return ollamaReply(res, res.message.content);
    },
    async complete({ model, prompt, maxTokens, temperature, seed }, call) {
      const res = await client.generate(
        {
          model,
          stream: false,
          raw: true,
          prompt,
          options: {
            ...completionOptions({ maxTokens, temperature }),
            ...(seed === undefined ? {} : { seed }),
          },
        },
        ollamaCall(call),
      );
      return ollamaReply(res, res.response ?? '');
    },
  };
}

/** What an Ollama reply (chat or generate) counted, with the text it carries. */
function ollamaReply(
  res: { model: string; prompt_eval_count?: number; eval_count?: number; done_reason: string },
  text: string,
): ServerReply {
  return {
    text,
    model: res.model,
    usage: { inputTokens: res.prompt_eval_count ?? 0, outputTokens: res.eval_count ?? 0 },
    finishReason: res.done_reason,
  };
}

/**
 * An OpenAI-compatible server: its endpoint says whether the model is a chat model (`api`); the API has no way to
 * ask. Failures are the client's UpstreamErrors.
 */
export function openAiQuestionServer(client: OpenAiClient, api: OpenAiApi): QuestionServer {
  return {
    provider: 'openai',
    isChatModel: () => Promise.resolve(api === 'chat'),
    chat: ({ model, messages, maxTokens, temperature, seed }, call) =>
      client.chat({ model, messages, maxTokens, temperature, seed }, call),
    complete: ({ model, prompt, maxTokens, temperature, seed }, call) =>
      client.complete({ model, prompt, ...completionSampling({ maxTokens, temperature }), seed }, call),
  };
}
