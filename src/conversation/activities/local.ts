import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { httpStatusOf } from '../../contracts/errors';
import type { ChatRequest, ChatResponse } from 'ollama';
import {
  DEFAULT_LOCAL_SYSTEM_PROMPT,
  DEFAULT_QUESTION_TEMPLATE,
  FailureType,
  renderQuestionPrompt,
} from '../definitions';
import { withHeartbeats } from './heartbeat';
import type { AskLocalInput, AskLocalOutput } from './types';

/** The part of the `ollama` client we use; a real `new Ollama({ host })` satisfies it. */
export interface OllamaChatClient {
  chat(request: ChatRequest & { stream?: false }): Promise<ChatResponse>;
}

export interface LocalDeps {
  client: OllamaChatClient;
  /** Used when the conversation does not set local.model / local.maxTokens (config OLLAMA_MODEL, LOCAL_MAX_TOKENS). */
  model: string;
  maxTokens: number;
}

/** The default prompt; a conversation may set its own `local.questionTemplate`. */
export function followUpPrompt(question: string, answer: string): string {
  return renderQuestionPrompt(DEFAULT_QUESTION_TEMPLATE, { question, answer });
}

/** The local model reads the cloud answer and writes the next question. */
export function makeAskLocal({ client, model: defaultModel, maxTokens }: LocalDeps) {
  return async function askLocal(input: AskLocalInput): Promise<AskLocalOutput> {
    const model = input.model ?? defaultModel;
    const started = Date.now();
    let res: ChatResponse;
    try {
      const prompt = renderQuestionPrompt(input.questionTemplate ?? DEFAULT_QUESTION_TEMPLATE, input);
      res = await withHeartbeats(
        client.chat({
          model,
          stream: false,
          messages: [
            { role: 'system', content: input.systemPrompt ?? DEFAULT_LOCAL_SYSTEM_PROMPT },
            { role: 'user', content: prompt },
          ],
          options: {
            num_predict: input.maxTokens ?? maxTokens,
            ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
          },
        }),
      );
    } catch (err) {
      throw toFailure(err, model);
    }
    const finished = Date.now();
    const question = res.message.content.trim();
    if (question === '') {
      // Retried rather than replaced by a canned question: a made-up row would silently pollute the
      // transcript, Ollama samples with a fresh seed each call, and the retry policy bounds the attempts.
      throw ApplicationFailure.retryable(
        `Local model ${model} returned an empty question`,
        FailureType.EmptyOutput,
      );
    }
    return {
      question,
      model: res.model || model,
      usage: { inputTokens: res.prompt_eval_count ?? 0, outputTokens: res.eval_count ?? 0 },
      latencyMs: finished - started,
      finishedAt: new Date(finished).toISOString(),
    };
  };
}

/** Ollama's ResponseError carries the HTTP status: 4xx (e.g. unknown model) is permanent, the rest transient. */
function toFailure(err: unknown, model: string): unknown {
  // A cancellation (the conversation timed out or was cancelled) stays what it is.
  if (!(err instanceof Error) || err instanceof CancelledFailure) return err;
  const status = httpStatusOf(err);
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return ApplicationFailure.create({
    type: permanent ? FailureType.LocalRejected : FailureType.LocalUnavailable,
    message: `Ollama (${model}): ${err.message}`,
    nonRetryable: permanent,
    details: status === undefined ? [] : [{ statusCode: status }],
    cause: err,
  });
}
