import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import {
  BadUpstreamResponseError,
  httpStatusOf,
  isBadUpstreamResponse,
  isUpstreamError,
  messageOf,
} from '../../contracts/errors';
import { DEFAULT_ENDPOINTS } from '../../contracts/limits';
import { withoutUrls } from '../../contracts/text';
import type { OllamaClient } from '../../models/ollama-client';
import type { OpenAiCallOptions } from '../../models/openai-client';
import {
  DEFAULT_LOCAL_SYSTEM_PROMPT,
  DEFAULT_QUESTION_TEMPLATE,
  FailureType,
  renderQuestionPrompt,
  type TokenUsage,
} from '../../contracts/conversation';
import { firstQuestion, nextQuestionPrompt, type Exchange } from '../../models/base-model-prompt';
import { questionMessages } from '../../models/question-prompt';
import { priceCall, type ModelPrices } from '../../models/prices';
import { askedBeforeNote, questionOpening } from '../../models/resample-prompt';
import { callRequestId, routeKey } from './call-id';
import { attemptTimeLeftMs } from '../../shared/activity/deadline';
import { ollamaQuestionServer, type QuestionServer } from './question-server';
import { withHeartbeats } from '../../shared/activity/heartbeat';
import { upstreamFailure } from '../../shared/activity/upstream-failure';
import { observeModelCall } from './observe';
import { traceModelCall } from '../../shared/telemetry/model-call';
import type { ConversationMetrics } from '../metrics';
import type { AskLocalInput, AskLocalOutput } from './types';

export interface LocalDeps {
  /** The server's client: Ollama's, or (for an endpoint of another kind) the question server wrapping it. */
  client: OllamaClient | QuestionServer;
  /** Used when the conversation does not set local.model / local.maxTokens (config OLLAMA_MODEL, LOCAL_MAX_TOKENS). */
  model: string;
  maxTokens: number;
  /** The endpoint's context window (`contextTokens`); unset: DEFAULT_CONTEXT_TOKENS. */
  contextTokens?: number;
  /** MODEL_PRICES_FILE; unset: every model unpriced (a local model usually costs nothing per token). */
  prices?: ModelPrices;
  /** The endpoint these calls go to, for metrics; unset: the local side's default. */
  endpoint?: string;
}

interface LocalReply {
  question: string;
  model: string;
  usage: TokenUsage;
  /** The server's finish reason (`stop`, `length`). */
  finishReason: string;
}

function isQuestionServer(client: LocalDeps['client']): client is QuestionServer {
  return 'isChatModel' in client;
}

/**
 * The local model reads the cloud answer and writes the next question: through the chat API for a chat model, as
 * the continuation of a dialogue transcript for a base model (one without a chat template).
 */
export function makeAskLocal(
  { client, model: defaultModel, maxTokens, prices = {}, endpoint = DEFAULT_ENDPOINTS.local }: LocalDeps,
  metrics?: ConversationMetrics,
) {
  const server = isQuestionServer(client) ? client : ollamaQuestionServer(client);

  async function chat(model: string, input: AskLocalInput, call: OpenAiCallOptions): Promise<LocalReply> {
    const res = await server.chat(
      {
        model,
        messages: questionMessages({
          exchanges: exchangesOf(input),
          systemPrompt: input.systemPrompt ?? DEFAULT_LOCAL_SYSTEM_PROMPT,
          template: templateOf(input),
          ...(input.resample && { note: askedBeforeNote(input.resample) }),
        }),
        maxTokens: input.maxTokens ?? maxTokens,
        temperature: input.temperature,
        ...(input.resample && { seed: input.resample.seed }),
      },
      call,
    );
    return { question: res.text.trim(), model: res.model, usage: res.usage, finishReason: res.finishReason };
  }

  /**
   * The system prompt frames the transcript; a question template, when set, stands in for each exchange. A
   * resample starts the question for the model (see resample-prompt.ts), which then completes it.
   */
  async function complete(model: string, input: AskLocalInput, call: OpenAiCallOptions): Promise<LocalReply> {
    const opening = input.resample ? questionOpening(input.resample) : '';
    const transcript = nextQuestionPrompt({
      exchanges: exchangesOf(input),
      framing: input.systemPrompt,
      ...(input.questionTemplate !== undefined && { template: templateOf(input) }),
    });
    const res = await server.complete(
      {
        model,
        prompt: opening ? `${transcript} ${opening}` : transcript,
        maxTokens: input.maxTokens ?? maxTokens,
        temperature: input.temperature,
        ...(input.resample && { seed: input.resample.seed }),
      },
      call,
    );
    const question = firstQuestion(opening ? `${opening} ${res.text.trimStart()}` : res.text);
    return {
      // The opening alone is no question: the model wrote nothing after it (retried as an empty reply).
      question: opening && question === opening ? '' : question,
      model: res.model,
      usage: res.usage,
      finishReason: res.finishReason,
    };
  }

  return async function askLocal(input: AskLocalInput): Promise<AskLocalOutput> {
    const model = input.model ?? defaultModel;
    const started = Date.now();
    // A cancelled attempt (conversation timeout or cancel, heartbeat or startToClose timeout) stops the generation.
    const context = Context.current();
    let replica: number | undefined;
    const call: OpenAiCallOptions = {
      signal: context.cancellationSignal,
      requestId: callRequestId(context.info),
      deadline: started + attemptTimeLeftMs(context.info, started),
      routeKey: routeKey(context.info, 'local'),
      onReplica: (index) => (replica = index),
    };
    const request = {
      provider: server.provider,
      model,
      maxTokens: input.maxTokens ?? maxTokens,
      temperature: input.temperature,
    };
    let reply: LocalReply;
    try {
      reply = await withHeartbeats(
        observeModelCall(
          context.info,
          metrics,
          { side: 'local', provider: server.provider, endpoint, model, turn: input.turn },
          () =>
            traceModelCall(
              request,
              () =>
                server
                  .isChatModel(model)
                  .then((chatModel) => (chatModel ? chat : complete)(model, input, call)),
              (r) => ({ model: r.model || model, finishReason: r.finishReason, ...r.usage }),
            ),
        ),
      );
    } catch (err) {
      throw localFailure(err, model);
    }
    const finished = Date.now();
    if (reply.question === '') {
      // Retried rather than replaced by a canned question: a made-up row would silently pollute the
      // transcript, Ollama samples with a fresh seed each call, and the retry policy bounds the attempts.
      throw ApplicationFailure.retryable(
        `Local model ${model} returned an empty question`,
        FailureType.EmptyOutput,
      );
    }
    const answeredBy = reply.model || model;
    return {
      question: reply.question,
      model: answeredBy,
      usage: reply.usage,
      ...priceCall(prices, answeredBy, reply.usage),
      latencyMs: finished - started,
      finishedAt: new Date(finished).toISOString(),
      ...(replica !== undefined && { replica }),
    };
  };
}

/** The conversation the local model sees: the exchanges kept in context, then the one it follows up on. */
function exchangesOf(input: AskLocalInput): Exchange[] {
  return [...(input.history ?? []), { question: input.question, answer: input.answer }];
}

function templateOf(input: AskLocalInput): (exchange: Exchange) => string {
  const template = input.questionTemplate ?? DEFAULT_QUESTION_TEMPLATE;
  return (exchange) => renderQuestionPrompt(template, exchange);
}

/**
 * A model server's failure as the activity failure Temporal retries (or not); shared with the campaign judge. Ollama's
 * ResponseError carries the HTTP status: 4xx (e.g. unknown model) is permanent, the rest transient; a 200 whose body
 * is not JSON is a bad reply (see upstreamFailure). An OpenAI-compatible server's UpstreamError says itself, with the
 * wait a 429 asked for.
 */
export function localFailure(err: unknown, model: string): unknown {
  // A cancellation (the conversation timed out or was cancelled) stays what it is. Errors are read by shape: the
  // fetch under the Ollama client may throw them from another realm (a test runner's), where `instanceof` fails.
  if (err === null || typeof err !== 'object' || err instanceof CancelledFailure) return err;
  const message = withoutUrls(messageOf(err));
  const upstream = isBadUpstreamResponse(err)
    ? new BadUpstreamResponseError(`Ollama (${model}) sent a reply that is not JSON: ${message}`, {
        cause: err,
      })
    : err;
  if (isUpstreamError(upstream)) {
    return upstreamFailure(upstream, {
      unavailable: FailureType.LocalUnavailable,
      rejected: FailureType.LocalRejected,
    });
  }
  const status = httpStatusOf(err);
  const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return ApplicationFailure.create({
    type: permanent ? FailureType.LocalRejected : FailureType.LocalUnavailable,
    message: `Ollama (${model}): ${message}`,
    nonRetryable: permanent,
    details: status === undefined ? [] : [{ statusCode: status }],
    ...(err instanceof Error && { cause: err }),
  });
}
