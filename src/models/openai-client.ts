/**
 * A thin client for model servers that speak the OpenAI-compatible API: vLLM, SGLang, TGI, llama.cpp's server,
 * LM Studio, Ollama's `/v1`. Chat completions for a chat model, completions for a base model (the caller builds the
 * `Question:`/`Answer:` prompt, see base-model-prompt.ts). Non-streaming: the answer and its `usage` in one reply.
 *
 * Written on `fetch` rather than the `openai` package: that package adds ~150 KB (+30 %) to the Lambda bundle,
 * which every container compiles at its cold start whichever provider it runs (docs/performance.md), for two
 * calls; and its own retries and timeouts would have to be turned off, since Temporal owns the retries and the
 * deadlines the timeouts.
 *
 * One attempt per call. Failures are `UpstreamError`s: 429 (with the server's `Retry-After`) and 5xx are
 * retryable, other 4xx are not; a body that is not the JSON asked for is a BadUpstreamResponseError; no answer (or a
 * reply that stalls) before the deadline is an `UpstreamTimeoutError`. The API key goes in the Authorization
 * header only, never in a message or a log.
 */
import {
  BadUpstreamResponseError,
  isConnectionError,
  isTimeoutError,
  messageOf,
  UpstreamError,
  UpstreamTimeoutError,
} from '../contracts/errors';
import { parseRetryAfter } from '../contracts/retry-after';
import { withoutUrls } from '../contracts/text';
import type { ReplicaRoute, ReplicaSet } from './replicas';

/** Which of the server's APIs a model is called through: `chat` for a chat model, `completions` for a base model. */
export type OpenAiApi = 'chat' | 'completions';
export const OPENAI_APIS: readonly OpenAiApi[] = ['chat', 'completions'];

export interface Sampling {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  /** At most 4 (OpenAI's limit; servers differ). */
  stop?: string[];
  /** The server's sampling seed, where it takes one (vLLM, llama.cpp, Ollama do). */
  seed?: number;
}

export interface ChatRequest extends Sampling {
  model: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
}

export interface CompletionRequest extends Sampling {
  model: string;
  prompt: string;
}

export interface Completion {
  text: string;
  /** The model the server says answered; the requested one when it does not say. */
  model: string;
  /** The server's `finish_reason` (`stop`, `length`, ...); `stop` when it gives none. */
  finishReason: string;
  /** From the reply's `usage`; 0 where the server leaves a count out. */
  usage: { inputTokens: number; outputTokens: number };
}

export interface OpenAiCallOptions extends ReplicaRoute {
  /**
   * The caller's abort. A cancellation (e.g. a Temporal activity's) is thrown on as it is; an abort whose reason is
   * a timeout (`AbortSignal.timeout`) becomes an `UpstreamTimeoutError`.
   */
  signal?: AbortSignal;
  /** Epoch ms by which the answer must be in; already passed, the call is not made. */
  deadline?: number;
  /** Sent as `X-Request-Id`, for the server's (or its proxy's) logs. */
  requestId?: string;
}

export interface OpenAiClient {
  chat(request: ChatRequest, options?: OpenAiCallOptions): Promise<Completion>;
  complete(request: CompletionRequest, options?: OpenAiCallOptions): Promise<Completion>;
}

/** One client over an endpoint's replicas, calls routed by their key (see replicas.ts). */
export function replicatedOpenAiClient(replicas: ReplicaSet<OpenAiClient>): OpenAiClient {
  return {
    chat: (request, options = {}) =>
      replicas.call(options.routeKey ?? '', (c) => c.chat(request, options), options.onReplica),
    complete: (request, options = {}) =>
      replicas.call(options.routeKey ?? '', (c) => c.complete(request, options), options.onReplica),
  };
}

export interface OpenAiClientOptions {
  /** The API's root, usually ending in `/v1` (`http://127.0.0.1:11434/v1` for Ollama). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; servers that need none ignore it. */
  apiKey?: string;
  /**
   * How error messages name the server (`endpoint <name>`). Never its URL: the messages reach API answers and the
   * dataset's manifest, where an internal address has no place.
   */
  label?: string;
  /** Per call, capped by the call's deadline; unset, only the deadline and the signal bound a call. */
  timeoutMs?: number;
  /** The transport; tests inject their own. */
  fetch?: typeof fetch;
}

/** An error body is quoted in messages up to this many characters. */
const QUOTED_CHARS = 300;

export function createOpenAiClient({
  baseUrl,
  apiKey,
  label,
  timeoutMs,
  fetch: send = fetch,
}: OpenAiClientOptions): OpenAiClient {
  const root = baseUrl.replace(/\/+$/, '');
  const server = label ?? 'OpenAI-compatible server';

  async function post(path: string, body: object, options: OpenAiCallOptions): Promise<unknown> {
    const { signal, deadline, requestId } = options;
    const budgetMs = Math.min(
      timeoutMs ?? Infinity,
      deadline === undefined ? Infinity : deadline - Date.now(),
    );
    if (budgetMs <= 0) throw new UpstreamTimeoutError(`${server}: no time left before the deadline`);
    const own = Number.isFinite(budgetMs) ? AbortSignal.timeout(budgetMs) : undefined;
    const aborts = [signal, own].filter((s): s is AbortSignal => s !== undefined);
    const started = Date.now();
    let headersAt: number | undefined;
    try {
      const res = await send(`${root}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify(body),
        ...(aborts.length > 0 && { signal: aborts.length === 1 ? aborts[0] : AbortSignal.any(aborts) }),
      });
      headersAt = Date.now();
      // Read whole before judging it: the body is also read under the deadline, so a reply that stalls halfway
      // ends like one that never started.
      const text = await res.text();
      if (!res.ok) throw statusError(server, res.status, text, res.headers);
      return parseJson(server, text, res.headers.get('content-type'));
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (own?.aborted || (signal?.aborted && isTimeoutError(signal.reason))) {
        const waited = headersAt === undefined ? 'no answer' : 'the reply stalled after its headers';
        throw new UpstreamTimeoutError(`${server}: ${waited} within ${Date.now() - started} ms`, {
          cause: err,
        });
      }
      if (signal?.aborted) throw signal.reason;
      if (isConnectionError(err)) {
        throw new UpstreamError(
          503,
          'UPSTREAM_UNAVAILABLE',
          `${server} is unreachable: ${messageOf(err)}`,
          true,
          {
            cause: err,
          },
        );
      }
      throw new UpstreamError(502, 'UPSTREAM_ERROR', `${server}: ${messageOf(err)}`, true, { cause: err });
    }
  }

  return {
    async chat(request, options = {}) {
      const { model, messages, ...sampling } = request;
      const reply = await post('/chat/completions', { model, messages, ...wireSampling(sampling) }, options);
      return completion(server, reply, model, (choice) => {
        const content = (choice.message as { content?: unknown } | undefined)?.content;
        // A reply of nothing but a stop sequence has content null at some servers.
        return content === null ? '' : content;
      });
    },
    async complete(request, options = {}) {
      const { model, prompt, ...sampling } = request;
      const reply = await post('/completions', { model, prompt, ...wireSampling(sampling) }, options);
      return completion(server, reply, model, (choice) => choice.text);
    },
  };
}

function wireSampling({ maxTokens, temperature, topP, stop, seed }: Sampling): Record<string, unknown> {
  return {
    max_tokens: maxTokens,
    stream: false,
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { top_p: topP }),
    ...(stop && stop.length > 0 ? { stop } : {}),
    ...(seed === undefined ? {} : { seed }),
  };
}

function completion(
  server: string,
  reply: unknown,
  requested: string,
  textOf: (choice: Record<string, unknown>) => unknown,
): Completion {
  const r = reply as { choices?: unknown; model?: unknown; usage?: Record<string, unknown> | null };
  const choice = Array.isArray(r.choices) ? (r.choices[0] as Record<string, unknown> | undefined) : undefined;
  const text = choice && typeof choice === 'object' ? textOf(choice) : undefined;
  if (typeof text !== 'string') {
    throw badResponse(server, `no text in choices[0] of ${quote(JSON.stringify(reply))}`);
  }
  const count = (value: unknown) => (typeof value === 'number' && value >= 0 ? value : 0);
  return {
    text,
    model: typeof r.model === 'string' && r.model !== '' ? r.model : requested,
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : 'stop',
    usage: { inputTokens: count(r.usage?.prompt_tokens), outputTokens: count(r.usage?.completion_tokens) },
  };
}

function parseJson(server: string, text: string, contentType: string | null): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object') return value;
  } catch {
    // reported below
  }
  throw badResponse(
    server,
    `a reply that is not a JSON object (${contentType ?? 'no content type'}): ${quote(text)}`,
  );
}

/** Not what the API answers: a wrong base URL (a web page), a proxy's error page, a truncated body. */
function badResponse(server: string, what: string): UpstreamError {
  return new BadUpstreamResponseError(`${server} sent ${what}`);
}

/**
 * The status in our vocabulary: 429 and 5xx retryable (with the wait the server asked for), 408 a timeout, 401/403
 * access, 404 an unknown model (or path), any other 4xx a request the server will never accept.
 */
function statusError(server: string, status: number, body: string, headers: Headers): UpstreamError {
  const message = `${server} answered ${status}: ${errorMessageOf(body)}`;
  const retryAfterMs = parseRetryAfter(headers);
  const options = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) return new UpstreamError(429, 'THROTTLED', message, true, options);
  if (status === 408 || status === 504) return new UpstreamTimeoutError(message);
  if (status === 503) return new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', message, true, options);
  if (status >= 500) return new UpstreamError(502, 'UPSTREAM_ERROR', message, true, options);
  if (status === 401 || status === 403) return new UpstreamError(403, 'ACCESS_DENIED', message, false);
  if (status === 404) return new UpstreamError(404, 'MODEL_NOT_FOUND', message, false);
  if (status >= 400) return new UpstreamError(400, 'INVALID_REQUEST', message, false);
  // 1xx/3xx: fetch follows redirects, so this is a server answering outside the API.
  return badResponse(server, `status ${status}: ${quote(body)}`);
}

/** The error's message from the shapes servers use: OpenAI's `{error:{message}}`, `{message}`, TGI's `{error}`. */
function errorMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const nested = (parsed.error as { message?: unknown } | undefined)?.message;
    for (const candidate of [nested, parsed.error, parsed.message]) {
      if (typeof candidate === 'string' && candidate !== '') return quote(candidate);
    }
  } catch {
    // not JSON: quote it as it is
  }
  return quote(body);
}

function quote(text: string): string {
  const flat = withoutUrls(text).replace(/\s+/g, ' ').trim();
  return flat.length > QUOTED_CHARS ? `${flat.slice(0, QUOTED_CHARS)}…` : flat || '(empty)';
}

/** One entry of an OpenAI-compatible server's `GET /models`: the id, and whatever else the server says of it. */
export type ServedModel = { id: string } & Record<string, unknown>;

/**
 * The models an OpenAI-compatible server serves (`GET /models`), for a dataset's provenance. Fails with an
 * UpstreamError that names the server by `label` (never its URL).
 */
export async function listOpenAiModels({
  baseUrl,
  apiKey,
  label = 'OpenAI-compatible server',
  timeoutMs = 10_000,
  fetch: send = fetch,
}: OpenAiClientOptions): Promise<ServedModel[]> {
  let res: Response;
  let text: string;
  try {
    res = await send(`${baseUrl.replace(/\/+$/, '')}/models`, {
      headers: { accept: 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    throw isTimeoutError(err)
      ? new UpstreamTimeoutError(`${label}: no answer to GET /models within ${timeoutMs} ms`, { cause: err })
      : new UpstreamError(503, 'UPSTREAM_UNAVAILABLE', `${label} is unreachable: ${messageOf(err)}`, true, {
          cause: err,
        });
  }
  if (!res.ok) throw statusError(label, res.status, text, res.headers);
  const data = (parseJson(label, text, res.headers.get('content-type')) as { data?: unknown }).data;
  if (!Array.isArray(data)) throw badResponse(label, `no data list in ${quote(text)}`);
  return data.filter((m): m is ServedModel => typeof (m as { id?: unknown } | null)?.id === 'string');
}
