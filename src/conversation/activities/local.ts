import { ApplicationFailure } from '@temporalio/activity';
import type { ChatRequest, ChatResponse } from 'ollama';
import { FailureType } from '../definitions';
import type { AskLocalInput, AskLocalOutput } from './types';

/** The part of the `ollama` client we use; a real `new Ollama({ host })` satisfies it. */
export interface OllamaChatClient {
  chat(request: ChatRequest & { stream?: false }): Promise<ChatResponse>;
}

export interface LocalDeps {
  client: OllamaChatClient;
  model: string;
  maxTokens: number;
}

const SYSTEM_PROMPT =
  'You are a curious learner talking with an expert. Read the expert answer and ask ONE short follow-up ' +
  'question about it. Reply with the question only: a single sentence, no preamble, no answer.';

export function followUpPrompt(question: string, answer: string): string {
  return `Previous question: ${question}\n\nExpert answer:\n${answer}\n\nWrite one short follow-up question.`;
}

/** The local model reads the cloud answer and writes the next question. */
export function makeAskLocal({ client, model: defaultModel, maxTokens }: LocalDeps) {
  return async function askLocal(input: AskLocalInput): Promise<AskLocalOutput> {
    const model = input.model ?? defaultModel;
    const started = Date.now();
    let res: ChatResponse;
    try {
      res = await client.chat({
        model,
        stream: false,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: followUpPrompt(input.question, input.answer) },
        ],
        options: { num_predict: maxTokens },
      });
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
  if (!(err instanceof Error)) return err;
  const status =
    err.name === 'ResponseError' ? (err as Error & { status_code?: number }).status_code : undefined;
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return ApplicationFailure.create({
    type: permanent ? FailureType.LocalRejected : FailureType.LocalUnavailable,
    message: `Ollama (${model}): ${err.message}`,
    nonRetryable: permanent,
    details: status === undefined ? [] : [{ statusCode: status }],
    cause: err,
  });
}
