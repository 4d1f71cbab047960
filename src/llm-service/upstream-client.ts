import { llm } from '../generated/llm';
import { createHttpTransport } from './http-transport';
import type { HttpReply, HttpTransport } from './http-transport';
import type { ChatMessage } from '../contracts/chat';
import { REQUEST_TIMEOUT_HEADER } from '../contracts/deadline';
import { parseRetryAfter } from '../contracts/retry-after';
import { withoutUrls } from '../contracts/text';
import {
  BadUpstreamResponseError,
  DeadlineExceededError,
  isTimeoutError,
  UpstreamError,
  UpstreamTimeoutError,
} from '../contracts/errors';

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

export interface UpstreamCallOptions {
  /**
   * Epoch ms (this host's clock) by which the answer must be in: the call waits until then and tells the gateway
   * how long that is (`X-Request-Timeout-Ms`). Already passed: a DeadlineExceededError without a call.
   */
  deadline: number;
}

/**
 * The cloud model behind API Gateway. Errors are `UpstreamError`s whose status is what this service answers:
 * 400 when the Lambda refused the input, 504 when nobody answered in time, 502 for any other upstream failure.
 */
export interface LlmUpstream {
  generate(request: UpstreamRequest, options: UpstreamCallOptions): Promise<UpstreamResponse>;
  /** True when the gateway answers at all (API Gateway has no /health route: its 403 still means it is up). */
  isReady(): Promise<boolean>;
}

export interface UpstreamClientOptions {
  /** `API_GATEWAY_URL`: the stage URL; requests go to `${baseUrl}/generate`. */
  baseUrl: string;
  readyTimeoutMs?: number;
  transport?: HttpTransport;
}

const PROTOBUF = 'application/x-protobuf';
const ROLES = { user: llm.v1.Role.ROLE_USER, assistant: llm.v1.Role.ROLE_ASSISTANT } as const;

/**
 * POSTs protobuf `GenerateRequest`s to API Gateway and decodes `GenerateResponse` or `ErrorResponse`; one attempt
 * per call (retries and the circuit breaker wrap this, see resilient-upstream.ts). Connections are kept alive
 * (see http-transport.ts), so consecutive calls share a TCP (and TLS) connection.
 */
export function createUpstreamClient({
  baseUrl,
  readyTimeoutMs = 2_000,
  transport = createHttpTransport(),
}: UpstreamClientOptions): LlmUpstream {
  const root = baseUrl.replace(/\/+$/, '');
  const generateUrl = `${root}/generate`;

  return {
    async generate(request, { deadline }) {
      const body = llm.v1.GenerateRequest.encode({
        requestId: request.requestId,
        messages: request.messages.map((m) => ({ role: ROLES[m.role], content: m.content })),
        system: request.system,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        topP: request.topP,
        model: request.model,
      }).finish();
      const timeoutMs = deadline - Date.now();
      if (timeoutMs <= 0) throw new DeadlineExceededError();
      let res: HttpReply;
      try {
        res = await transport({
          url: generateUrl,
          method: 'POST',
          headers: {
            'Content-Type': PROTOBUF,
            Accept: PROTOBUF,
            'X-Request-Id': request.requestId,
            [REQUEST_TIMEOUT_HEADER]: String(timeoutMs),
          },
          body,
          timeoutMs,
        });
      } catch (err) {
        throw transportError(err, timeoutMs);
      }
      if (!res.contentType.startsWith(PROTOBUF)) throw gatewayError(res);
      if (res.status !== 200) throw fromErrorResponse(res.status, res.body);
      const decoded = decode(llm.v1.GenerateResponse, res.body);
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
        const res = await transport({
          url: `${root}/health`,
          method: 'GET',
          headers: {},
          timeoutMs: readyTimeoutMs,
        });
        return res.status < 500;
      } catch {
        return false;
      }
    },
  };
}

/** Only the Lambda's verdict on the input (400) and timeouts keep their status; any other failure is ours to call 502. */
function serviceStatus(upstreamStatus: number): number {
  if (upstreamStatus === 400 || upstreamStatus === 504) return upstreamStatus;
  return 502;
}

/** The Lambda's ErrorResponse, with the wait its model server asked for (`retry_after_ms`, 0 for none). */
function fromErrorResponse(status: number, bytes: Uint8Array): UpstreamError {
  const error = decode(llm.v1.ErrorResponse, bytes);
  const message =
    status === 400 ? error.message : `Upstream failed (${status} ${error.code}): ${error.message}`;
  return new UpstreamError(serviceStatus(status), error.code || 'UPSTREAM_ERROR', message, error.retryable, {
    ...(error.retryable && error.retryAfterMs > 0 && { retryAfterMs: error.retryAfterMs }),
  });
}

/** API Gateway's own replies (throttling, timeouts, a Lambda crash, a wrong URL) are JSON, not protobuf. */
function gatewayError({ status, body, headers }: HttpReply): UpstreamError {
  const text = withoutUrls(Buffer.from(body).toString('utf8')).slice(0, 200);
  const message = `API gateway answered ${status} without a protobuf body: ${text}`;
  if (status === 429) {
    const retryAfterMs = headers ? parseRetryAfter(headers) : undefined;
    return new UpstreamError(502, 'THROTTLED', message, true, {
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (status === 504) return new UpstreamError(504, 'UPSTREAM_TIMEOUT', message, true);
  // A 4xx from the gateway itself means our URL or request is wrong, which retrying will not fix.
  return new UpstreamError(502, 'UPSTREAM_ERROR', message, status >= 500);
}

/** Named by role, not URL: the message travels on to API answers and manifests (API_GATEWAY_URL says where). */
function transportError(err: unknown, timeoutMs: number): UpstreamError {
  if (isTimeoutError(err)) {
    return new UpstreamTimeoutError(`No answer from the API gateway within ${timeoutMs} ms`, { cause: err });
  }
  const reason = String((err as { code?: unknown }).code ?? (err as Error).message);
  return new UpstreamError(502, 'UPSTREAM_UNAVAILABLE', `Cannot reach the API gateway: ${reason}`, true, {
    cause: err,
  });
}

function decode<T>(type: { decode(bytes: Uint8Array): T }, bytes: Uint8Array): T {
  try {
    return type.decode(bytes);
  } catch (err) {
    throw new BadUpstreamResponseError(`Undecodable protobuf from upstream: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
