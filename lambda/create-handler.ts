import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { llm } from '../src/generated/llm';
import {
  API_GATEWAY_TIMEOUT_MS,
  LAMBDA_DEADLINE_MARGIN_MS,
  parseRequestTimeout,
  REQUEST_TIMEOUT_HEADER,
} from '../src/contracts/deadline';
import { DeadlineExceededError, HttpError, UpstreamError } from '../src/contracts/errors';
import { isWellFormedRequestId } from '../src/shared/request-id';
import type { LambdaConfig } from '../src/models/lambda-config';
import type { ModelProvider } from './providers/types';
import { bodyBytes, decodeRequest, header, toGenerateInput } from './request';
import { traceInvocation } from './tracing';

export type ProxyEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;
/** Valid as both a REST (v1) and an HTTP API (v2) proxy result. */
export type ProxyResult = APIGatewayProxyResult;
/** The Lambda context's parts the handler reads; the runtime passes a whole Context. */
export type InvocationContext = Pick<Context, 'awsRequestId'> &
  Partial<Pick<Context, 'getRemainingTimeInMillis'>>;
export type GenerateHandler = (event: ProxyEvent, context?: InvocationContext) => Promise<ProxyResult>;

export interface HandlerDeps {
  provider: ModelProvider;
  config: LambdaConfig;
  logger: Logger;
}

/**
 * Builds the `POST /generate` handler: base64 protobuf GenerateRequest in, GenerateResponse (200) or
 * ErrorResponse (4xx/5xx) out. It always answers; nothing is thrown to the Lambda runtime.
 */
export function createHandler({ provider, config, logger }: HandlerDeps): GenerateHandler {
  let coldStart = true;
  return (event, context) =>
    traceInvocation(event?.headers, context?.awsRequestId, () => handle(event, context));

  async function handle(event: ProxyEvent, context: InvocationContext | undefined): Promise<ProxyResult> {
    const started = Date.now();
    // Keys go with each log call, not appendKeys: the local gateway runs invocations of one handler concurrently.
    const keys: Record<string, unknown> = {
      requestId: event?.requestContext?.requestId || context?.awsRequestId || randomUUID(),
      awsRequestId: context?.awsRequestId,
      provider: provider.name,
      coldStart,
    };
    coldStart = false;
    try {
      const request = decodeRequest(bodyBytes(event));
      // The caller's id travels in logs and the X-Request-Id header, so take only a well-formed one.
      if (isWellFormedRequestId(request.requestId)) {
        keys.apiGatewayRequestId = keys.requestId;
        keys.requestId = request.requestId;
      }
      const input = toGenerateInput(request, config);
      const deadline = deadlineOf(event, context, started);
      const timeLeftMs = deadline - Date.now();
      if (timeLeftMs <= 0) throw new DeadlineExceededError();
      const output = await provider.generate(input, {
        requestId: String(keys.requestId),
        ...(Number.isFinite(deadline) && { signal: AbortSignal.timeout(timeLeftMs), deadline }),
      });
      const latencyMs = Date.now() - started;
      logger.info('generated', {
        ...keys,
        model: output.model,
        stopReason: output.stopReason,
        inputTokens: output.inputTokens,
        outputTokens: output.outputTokens,
        latencyMs,
      });
      const requestId = String(keys.requestId);
      const response = llm.v1.GenerateResponse.encode({
        requestId,
        text: output.text,
        model: output.model,
        stopReason: output.stopReason,
        usage: { inputTokens: output.inputTokens, outputTokens: output.outputTokens },
        latencyMs,
      }).finish();
      return protobufResult(200, requestId, response);
    } catch (err) {
      return errorResult(err, keys, logger);
    }
  }
}

/**
 * When the model call must be done (epoch ms; Infinity when nothing bounds it): LAMBDA_DEADLINE_MARGIN_MS before
 * the earlier of the invocation's own end and the caller's `X-Request-Timeout-Ms`, counted from when API Gateway
 * received the request, so a cold start or a queue in front of the function is not given to the model twice.
 */
function deadlineOf(event: ProxyEvent, context: InvocationContext | undefined, started: number): number {
  const remainingMs = context?.getRemainingTimeInMillis?.();
  const invocationEnds = remainingMs === undefined ? Infinity : started + remainingMs;
  const callerTimeoutMs = parseRequestTimeout(header(event?.headers, REQUEST_TIMEOUT_HEADER));
  const callerEnds = callerTimeoutMs === undefined ? Infinity : receivedAt(event, started) + callerTimeoutMs;
  return Math.min(invocationEnds, callerEnds) - LAMBDA_DEADLINE_MARGIN_MS;
}

/**
 * When API Gateway received the request (`requestTimeEpoch`, v2 `timeEpoch`; AWS's clock, the Lambda's too). A
 * value in the future or older than API Gateway's integration timeout cannot be this request's own (a replayed or
 * hand-written event): then the handler's start stands in.
 */
function receivedAt(event: ProxyEvent, started: number): number {
  const context = (event?.requestContext ?? {}) as { requestTimeEpoch?: unknown; timeEpoch?: unknown };
  const epoch = context.requestTimeEpoch ?? context.timeEpoch;
  return typeof epoch === 'number' && epoch <= started && epoch >= started - API_GATEWAY_TIMEOUT_MS
    ? epoch
    : started;
}

function errorResult(err: unknown, keys: Record<string, unknown>, logger: Logger): ProxyResult {
  const requestId = String(keys.requestId);
  const known = err instanceof HttpError;
  const statusCode = known ? err.statusCode : 500;
  const code = known ? err.code : 'INTERNAL';
  const message = known ? err.message : 'Internal error';
  const retryable = err instanceof UpstreamError ? err.retryable : false;
  // The model server's own wait travels on to the REST service, which then does not call again sooner.
  const retryAfterMs = err instanceof UpstreamError ? Math.ceil(err.retryAfterMs ?? 0) : 0;
  const facts = { ...keys, statusCode, code, retryable, ...(retryAfterMs > 0 && { retryAfterMs }) };
  if (statusCode >= 500) logger.error('request failed', { ...facts, error: describe(err) });
  else logger.warn('request rejected', { ...facts, reason: message });
  const body = llm.v1.ErrorResponse.encode({ code, message, retryable, requestId, retryAfterMs }).finish();
  return protobufResult(statusCode, requestId, body);
}

function protobufResult(statusCode: number, requestId: string, bytes: Uint8Array): ProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/x-protobuf', 'X-Request-Id': requestId },
    isBase64Encoded: true,
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}

/** A plain object, because HttpError's toJSON (the API shape) would hide the stack and cause from the logger. */
function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : err.cause;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    ...(cause === undefined ? {} : { cause }),
  };
}
