/**
 * The Ollama calls both model sides make (the worker's local model, the Lambda's Ollama provider), over the
 * `ollama` client. A model call can be aborted: ollama-js takes no AbortSignal for a call that does not stream,
 * so each aborting call goes through a client whose fetch carries the signal. Ollama stops generating when the
 * request goes away; without this a call given up on by its caller (a deadline, a cancelled activity) kept the
 * model busy, and the retries queued behind it.
 */
import { Ollama } from 'ollama';
import type { ReplicaRoute, ReplicaSet } from './replicas';
import type {
  ChatRequest,
  ChatResponse,
  GenerateRequest,
  GenerateResponse,
  ListResponse,
  ShowRequest,
  ShowResponse,
} from 'ollama';

export interface OllamaCallOptions extends ReplicaRoute {
  signal?: AbortSignal;
  /** Sent as `X-Request-Id`, for the logs of a proxy in front of Ollama. */
  requestId?: string;
}

export interface OllamaClient {
  chat(request: ChatRequest & { stream?: false }, options?: OllamaCallOptions): Promise<ChatResponse>;
  generate(
    request: GenerateRequest & { stream?: false },
    options?: OllamaCallOptions,
  ): Promise<GenerateResponse>;
  /** The template always; the rest (details, parameters…) as this Ollama reports it, for provenance. */
  show(request: ShowRequest): Promise<Pick<ShowResponse, 'template'> & Partial<ShowResponse>>;
  /** `/api/tags`: the local models with their digests. */
  tags(): Promise<ListResponse>;
}

/** One client over an endpoint's replicas: model calls routed by their key, look-ups to any replica that serves. */
export function replicatedOllamaClient(replicas: ReplicaSet<OllamaClient>): OllamaClient {
  return {
    chat: (request, options = {}) =>
      replicas.call(options.routeKey ?? '', (c) => c.chat(request, options), options.onReplica),
    generate: (request, options = {}) =>
      replicas.call(options.routeKey ?? '', (c) => c.generate(request, options), options.onReplica),
    show: (request) => replicas.call(request.model, (c) => c.show(request)),
    tags: () => replicas.call('', (c) => c.tags()),
  };
}

export function createOllamaClient(host: string): OllamaClient {
  const plain = new Ollama({ host });
  const withOptions = (options: OllamaCallOptions = {}): Ollama => {
    const { signal, requestId } = options;
    if (!signal && !requestId) return plain;
    return new Ollama({
      host,
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        if (requestId) headers.set('x-request-id', requestId);
        return fetch(url, { ...init, headers, ...(signal && { signal }) });
      },
    });
  };
  return {
    chat: (request, options) => withOptions(options).chat({ ...request, stream: false }),
    generate: (request, options) => withOptions(options).generate({ ...request, stream: false }),
    show: (request) => plain.show(request),
    tags: () => plain.list(),
  };
}
