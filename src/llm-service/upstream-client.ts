import { llm } from '../generated/llm';
import { UpstreamError } from '../shared/errors';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface UpstreamRequest {
  requestId: string;
  messages: ChatMessage[];
  system?: string;
  maxTokens: number;
  temperature?: number;
  topP?: number;
  model?: string;
}

export interface UpstreamResponse {
  requestId: string;
  text: string;
  model: string;
  stopReason: string;
  inputTokens: number;
  outputTokens: number;
  /** The Lambda's own time, model call included. */
  latencyMs: number;
}

/** The cloud model behind API Gateway. Errors are `UpstreamError`s whose status is what this service answers. */
export interface LlmUpstream {
  generate(request: UpstreamRequest): Promise<UpstreamResponse>;
  /** True when the gateway answers its health check. */
  isReady(): Promise<boolean>;
}

export interface UpstreamClientOptions {
  /** `API_GATEWAY_URL`: the stage URL; requests go to `${baseUrl}/generate`. */
  baseUrl: string;
  timeoutMs: number;
  readyTimeoutMs?: number;
  fetch?: typeof fetch;
}

const PROTOBUF = 'application/x-protobuf';
const ROLES = { user: llm.v1.Role.ROLE_USER, assistant: llm.v1.Role.ROLE_ASSISTANT } as const;

/** POSTs protobuf `GenerateRequest`s to API Gateway and decodes `GenerateResponse` or `ErrorResponse`. */
export function createUpstreamClient({
  baseUrl,
  timeoutMs,
  readyTimeoutMs = 2_000,
  fetch: fetchImpl = fetch,
}: UpstreamClientOptions): LlmUpstream {
  const root = baseUrl.replace(/\/+$/, '');
  const generateUrl = `${root}/generate`;

  return {
    async generate(request) {
      const body = llm.v1.GenerateRequest.encode({
        requestId: request.requestId,
        messages: request.messages.map((m) => ({ role: ROLES[m.role], content: m.content })),
        system: request.system,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        topP: request.topP,
        model: request.model,
      }).finish();
      let res: Response;
      let bytes: Uint8Array;
      try {
        res = await fetchImpl(generateUrl, {
          method: 'POST',
          headers: { 'Content-Type': PROTOBUF, Accept: PROTOBUF, 'X-Request-Id': request.requestId },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        throw transportError(err, generateUrl, timeoutMs);
      }
      const isProtobuf = res.headers.get('content-type')?.startsWith(PROTOBUF) ?? false;
      if (!isProtobuf) throw gatewayError(res.status, bytes);
      if (res.status !== 200) throw fromErrorResponse(res.status, bytes);
      const decoded = decode(llm.v1.GenerateResponse, bytes);
      return {
        requestId: decoded.requestId || request.requestId,
        text: decoded.text,
        model: decoded.model,
        stopReason: decoded.stopReason,
        inputTokens: decoded.usage?.inputTokens ?? 0,
        outputTokens: decoded.usage?.outputTokens ?? 0,
        latencyMs: decoded.latencyMs,
      };
    },

    async isReady() {
      try {
        const res = await fetchImpl(`${root}/health`, { signal: AbortSignal.timeout(readyTimeoutMs) });
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}

/** Our status for the Lambda's: its 4xx verdicts pass through, a timeout stays 504, any other failure is 502. */
function serviceStatus(upstreamStatus: number): number {
  if (upstreamStatus >= 400 && upstreamStatus < 500) return upstreamStatus;
  return upstreamStatus === 504 ? 504 : 502;
}

function fromErrorResponse(status: number, bytes: Uint8Array): UpstreamError {
  const error = decode(llm.v1.ErrorResponse, bytes);
  const message =
    status >= 500 ? `Upstream failed (${status} ${error.code}): ${error.message}` : error.message;
  return new UpstreamError(serviceStatus(status), error.code || 'UPSTREAM_ERROR', message, error.retryable);
}

/** API Gateway's own replies (throttling, timeouts, a Lambda crash, a wrong URL) are JSON, not protobuf. */
function gatewayError(status: number, bytes: Uint8Array): UpstreamError {
  const text = Buffer.from(bytes).toString('utf8').slice(0, 200);
  const message = `API gateway answered ${status} without a protobuf body: ${text}`;
  if (status === 429) return new UpstreamError(429, 'THROTTLED', message, true);
  if (status === 504) return new UpstreamError(504, 'UPSTREAM_TIMEOUT', message, true);
  // A 4xx from the gateway itself means our URL or request is wrong, which retrying will not fix.
  return new UpstreamError(502, 'BAD_UPSTREAM_RESPONSE', message, status >= 500);
}

function transportError(err: unknown, url: string, timeoutMs: number): UpstreamError {
  if ((err as { name?: unknown }).name === 'TimeoutError') {
    return new UpstreamError(504, 'UPSTREAM_TIMEOUT', `No answer from ${url} within ${timeoutMs} ms`, true, {
      cause: err,
    });
  }
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const reason = String(cause?.code ?? cause?.message ?? (err as Error).message);
  return new UpstreamError(502, 'UPSTREAM_UNAVAILABLE', `Cannot reach ${url}: ${reason}`, true, {
    cause: err,
  });
}

function decode<T>(type: { decode(bytes: Uint8Array): T }, bytes: Uint8Array): T {
  try {
    return type.decode(bytes);
  } catch (err) {
    throw new UpstreamError(
      502,
      'BAD_UPSTREAM_RESPONSE',
      `Undecodable protobuf from upstream: ${(err as Error).message}`,
      false,
      {
        cause: err,
      },
    );
  }
}
