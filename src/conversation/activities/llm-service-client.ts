/** Thin typed client for the LLM REST service's `POST /api/v1/generate`, with the transport injectable. */
import { REQUEST_TIMEOUT_HEADER } from '../../contracts/deadline';
import {
  BadUpstreamResponseError,
  DeadlineExceededError,
  messageOf,
  UpstreamError,
} from '../../contracts/errors';
import { errorBodySchema, generateResponseSchema } from '../../contracts/llm-rest';
import { parseRetryAfter } from '../../contracts/retry-after';
import { withoutUrls } from '../../contracts/text';
import type { GenerateRequestBody, GenerateResponseBody } from '../../contracts/llm-rest';
import { DEFAULT_CLOUD_MAX_TOKENS } from '../../contracts/limits';
import { answerWithOpenAi } from '../../models/openai-answer';
import type { OpenAiApi, OpenAiClient } from '../../models/openai-client';
import type { ReplicaRoute } from '../../models/replicas';

export interface GenerateOptions extends ReplicaRoute {
  /** Aborts the call (the activity was cancelled). */
  signal?: AbortSignal;
  /** This call's time, when shorter than the client's `timeoutMs` (the activity's remaining time). */
  timeoutMs?: number;
  /** Sent as `X-Request-Id`. */
  requestId?: string;
}

export interface LlmServiceClient {
  generate(request: GenerateRequestBody, options?: GenerateOptions): Promise<GenerateResponseBody>;
}

export interface LlmServiceClientOptions {
  baseUrl: string;
  /** The longest any call waits (UPSTREAM_TIMEOUT_MS); the service is told it as `X-Request-Timeout-Ms`. */
  timeoutMs: number;
  /** Sent as a bearer token when the service requires one (its API_KEY). */
  apiKey?: string;
  fetch?: typeof fetch;
}

/**
 * Each call waits at most min(timeoutMs, options.timeoutMs) and tells the service so in `X-Request-Timeout-Ms`,
 * so the service (and every hop behind it) gives up first and answers; none left: a DeadlineExceededError without
 * a call. Throws UpstreamError. `retryable` is the service's own verdict (`error.details.retryable`) when it gives one,
 * else false for 4xx (except 408/429) and true for 5xx, timeouts and an unreachable service; `retryAfterMs` is the
 * wait the model server asked for (`error.details.retryAfterMs`, else the `Retry-After` header).
 */
export function createLlmServiceClient({
  baseUrl,
  timeoutMs,
  apiKey,
  fetch: doFetch = fetch,
}: LlmServiceClientOptions): LlmServiceClient {
  const url = new URL('/api/v1/generate', baseUrl).toString();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  return {
    async generate(request, options = {}) {
      const callTimeoutMs = Math.floor(Math.min(timeoutMs, options.timeoutMs ?? Infinity));
      if (callTimeoutMs <= 0) throw new DeadlineExceededError();
      const timeout = AbortSignal.timeout(callTimeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: {
            ...headers,
            [REQUEST_TIMEOUT_HEADER.toLowerCase()]: String(callTimeoutMs),
            ...(options.requestId && { 'x-request-id': options.requestId }),
          },
          body: JSON.stringify(request),
          signal,
        });
        text = await res.text();
      } catch (err) {
        if (options.signal?.aborted) throw err;
        if (timeout.aborted) {
          throw new UpstreamError(
            504,
            'LLM_SERVICE_TIMEOUT',
            `LLM service did not answer within ${callTimeoutMs} ms`,
            true,
            {
              cause: err,
            },
          );
        }
        throw new UpstreamError(
          503,
          'LLM_SERVICE_UNREACHABLE',
          `LLM service unreachable: ${withoutUrls(messageOf(err))}`,
          true,
          {
            cause: err,
          },
        );
      }
      const body = parseJson(text);
      if (!res.ok) {
        const error = errorBodySchema.safeParse(body);
        const { code, message, details } = error.success
          ? error.data.error
          : { code: 'LLM_SERVICE_ERROR', message: `LLM service answered ${res.status}`, details: undefined };
        const retryable =
          details?.retryable ?? (res.status >= 500 || res.status === 408 || res.status === 429);
        const retryAfterMs = details?.retryAfterMs ?? parseRetryAfter(res.headers);
        throw new UpstreamError(res.status, code, message, retryable, {
          ...(retryable && retryAfterMs !== undefined && { retryAfterMs }),
        });
      }
      const parsed = generateResponseSchema.safeParse(body);
      if (!parsed.success) {
        throw new BadUpstreamResponseError('LLM service answered 200 with an unexpected body');
      }
      return parsed.data;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The LLM REST service's call answered straight by an OpenAI-compatible server instead (an `openai` endpoint on the
 * cloud side), with the Lambda's own prompting (see openai-answer.ts), so askCloud runs the same either way. The
 * model is the request's, else the endpoint's. Throws the client's UpstreamErrors.
 */
export function openAiAnswerClient(client: OpenAiClient, api: OpenAiApi, model: string): LlmServiceClient {
  return {
    async generate(request, options = {}) {
      const started = Date.now();
      const requestId = options.requestId ?? '';
      const reply = await answerWithOpenAi(
        client,
        api,
        {
          model: request.model ?? model,
          messages: request.messages,
          system: request.system,
          maxTokens: request.maxTokens ?? DEFAULT_CLOUD_MAX_TOKENS,
          temperature: request.temperature,
          topP: request.topP,
        },
        {
          ...(options.signal && { signal: options.signal }),
          ...(options.timeoutMs !== undefined && { deadline: started + options.timeoutMs }),
          ...(requestId && { requestId }),
          ...(options.routeKey !== undefined && { routeKey: options.routeKey }),
          ...(options.onReplica && { onReplica: options.onReplica }),
        },
      );
      return {
        response: reply.text,
        model: reply.model,
        stopReason: reply.finishReason,
        usage: reply.usage,
        latencyMs: Date.now() - started,
        requestId,
      };
    },
  };
}
