/**
 * The cloud side's answer from an OpenAI-compatible server, shared by the Lambda's `openai` provider and a worker
 * whose conversation names an `openai` endpoint for its cloud side: chat completions for a chat model (the system
 * prompt first), or for a base model the continuation of a question-and-answer transcript, cut where the model
 * starts the next turn. Free of Node built-ins, for the Lambda bundle.
 */
import type { ChatMessage } from '../contracts/chat';
import { completionSampling, completionText, nextAnswerPrompt } from './base-model-prompt';
import type { Completion, OpenAiApi, OpenAiCallOptions, OpenAiClient } from './openai-client';

export interface AnswerRequest {
  model: string;
  messages: readonly ChatMessage[];
  system?: string;
  maxTokens: number;
  temperature?: number;
  topP?: number;
}

/** The answer, its text trimmed (a chat model's) or cut at the next turn (a base model's). */
export async function answerWithOpenAi(
  client: OpenAiClient,
  api: OpenAiApi,
  { model, messages, system, maxTokens, temperature, topP }: AnswerRequest,
  call: OpenAiCallOptions,
): Promise<Completion> {
  if (api === 'chat') {
    const reply = await client.chat(
      {
        model,
        messages: [...(system ? [{ role: 'system' as const, content: system }] : []), ...messages],
        maxTokens,
        temperature,
        topP,
      },
      call,
    );
    return { ...reply, text: reply.text.trim() };
  }
  const reply = await client.complete(
    {
      model,
      prompt: nextAnswerPrompt(messages, system || undefined),
      ...completionSampling({ maxTokens, temperature, topP }),
    },
    call,
  );
  return { ...reply, text: completionText(reply.text) };
}
