import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  isAbortError,
  isConnectionError,
  isTimeoutError,
  messageOf,
  UpstreamError,
} from '../../src/contracts/errors';
import { parseRetryAfter } from '../../src/contracts/retry-after';
import type { ResponseHeaders } from '../../src/contracts/retry-after';
import { answerText, converseRequestBody } from '../../src/models/converse-request';
import { unreachable } from './errors';
import { traceModelCall } from '../../src/shared/telemetry/model-call';
import { modelCall, modelCallResult } from './traced';
import type { GenerateInput, GenerateOptions, GenerateOutput, ModelProvider } from './types';

interface ErrorMapping {
  status: number;
  code: string;
  retryable: boolean;
}

/** Bedrock's modelled exceptions (the SDK's own classes) to the status and retryability the caller sees. */
const BEDROCK_ERRORS: [new (...args: never[]) => Error, ErrorMapping][] = [
  [ThrottlingException, { status: 429, code: 'THROTTLED', retryable: true }],
  [ServiceQuotaExceededException, { status: 429, code: 'THROTTLED', retryable: true }],
  [ServiceUnavailableException, { status: 503, code: 'UPSTREAM_UNAVAILABLE', retryable: true }],
  [ModelNotReadyException, { status: 503, code: 'UPSTREAM_UNAVAILABLE', retryable: true }],
  [ModelTimeoutException, { status: 504, code: 'UPSTREAM_TIMEOUT', retryable: true }],
  [InternalServerException, { status: 502, code: 'UPSTREAM_ERROR', retryable: true }],
  [ModelErrorException, { status: 502, code: 'MODEL_ERROR', retryable: false }],
  [ValidationException, { status: 400, code: 'INVALID_REQUEST', retryable: false }],
  [AccessDeniedException, { status: 403, code: 'ACCESS_DENIED', retryable: false }],
  [ResourceNotFoundException, { status: 404, code: 'MODEL_NOT_FOUND', retryable: false }],
];

export interface BedrockProviderOptions {
  client: BedrockRuntimeClient;
  modelId: string;
  /** The client's per-attempt timeout (BEDROCK_TIMEOUT_MS); each call caps it to what its deadline leaves. */
  timeoutMs?: number;
}

export interface BedrockClientOptions {
  region: string;
  /** Per attempt; the SDK then retries (see maxAttempts) or fails with a TimeoutError. */
  timeoutMs: number;
  /** Total attempts in the SDK's standard retry mode (throttling, 5xx, timeouts, with backoff and jitter). */
  maxAttempts: number;
  /** Another endpoint than the region's (a test server); `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` works too. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Created once per container. HTTP/1.1 rather than the client's default HTTP/2: Converse is a plain
 * request/response call, and HTTP/1.1 also reaches Bedrock-compatible endpoints such as a local test server.
 */
export function createBedrockClient({
  region,
  timeoutMs,
  maxAttempts,
  endpoint,
  credentials,
}: BedrockClientOptions): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region,
    maxAttempts,
    retryMode: 'standard',
    // Without throwOnRequestTimeout, this handler only logs a warning when requestTimeout passes, and waits on.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
    }),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
}

/** Amazon Bedrock through the Converse API, which gives one request shape for every chat model. */
export function createBedrockProvider({ client, modelId, timeoutMs }: BedrockProviderOptions): ModelProvider {
  return {
    name: 'bedrock',
    async generate(
      input: GenerateInput,
      { signal, deadline }: GenerateOptions = {},
    ): Promise<GenerateOutput> {
      const model = input.model || modelId;
      // Per attempt: the configured timeout, or less when the deadline is nearer; the signal ends the whole call.
      const requestTimeout =
        deadline === undefined
          ? undefined
          : Math.max(1, Math.min(timeoutMs ?? Infinity, deadline - Date.now()));
      return traceModelCall(
        modelCall('aws.bedrock', model, input),
        async () => {
          let output;
          try {
            output = await client.send(
              new ConverseCommand({ modelId: model, ...converseRequestBody(input) }),
              {
                ...(signal ? { abortSignal: signal } : {}),
                ...(requestTimeout === undefined ? {} : { requestTimeout }),
              },
            );
          } catch (err) {
            throw toUpstreamError(err);
          }
          return {
            text: answerText(output.output?.message?.content),
            model,
            stopReason: output.stopReason ?? 'end_turn',
            inputTokens: output.usage?.inputTokens ?? 0,
            outputTokens: output.usage?.outputTokens ?? 0,
          };
        },
        modelCallResult,
      );
    },
  };
}

function toUpstreamError(err: unknown): UpstreamError {
  const mapped = BEDROCK_ERRORS.find(([type]) => err instanceof type)?.[1];
  const message = `Bedrock: ${messageOf(err)}`;
  if (mapped) {
    // Where Bedrock (or a proxy in front of it) sends a wait with its throttling, as the SDK's own retry reads it.
    const headers = (err as { $response?: { headers?: ResponseHeaders } }).$response?.headers;
    const retryAfterMs = mapped.retryable && headers ? parseRetryAfter(headers) : undefined;
    return new UpstreamError(mapped.status, mapped.code, message, mapped.retryable, {
      cause: err,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (isTimeoutError(err) || isAbortError(err))
    return new UpstreamError(504, 'UPSTREAM_TIMEOUT', message, true, { cause: err });
  if (isConnectionError(err)) return unreachable('Bedrock', err);
  // An unmodelled reply: the SDK still says whose fault it was.
  const clientFault = (err as { $fault?: unknown }).$fault === 'client';
  return clientFault
    ? new UpstreamError(400, 'INVALID_REQUEST', message, false, { cause: err })
    : new UpstreamError(502, 'UPSTREAM_ERROR', message, true, { cause: err });
}
