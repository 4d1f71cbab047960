import express from 'express';
import type { Express, RequestHandler } from 'express';
import client from 'prom-client';
import type { Registry } from 'prom-client';
import {
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  hopBudgetMs,
  parseRequestTimeout,
  REQUEST_TIMEOUT_HEADER,
  SERVICE_DEADLINE_MARGIN_MS,
} from '../contracts/deadline';
import { HttpError } from '../contracts/errors';
import { bearerAuth } from '../shared/auth';
import {
  createHttpMetrics,
  errorHandler,
  jsonBody,
  notFound,
  requestId,
  securityHeaders,
} from '../shared/http';
import type { Logger } from '../shared/logger';
import { parseGenerateBody } from './schema';
import type { LlmUpstream } from './upstream-client';

export interface LlmServiceDeps {
  upstream: LlmUpstream;
  logger: Logger;
  /**
   * `UPSTREAM_TIMEOUT_MS`: the most a generate call may take, its retry included; a caller's shorter
   * `X-Request-Timeout-Ms` (less SERVICE_DEADLINE_MARGIN_MS) shortens it.
   */
  timeoutMs?: number;
  /** Largest JSON body accepted (bytes, or express `limit` syntax); larger ones get 413. */
  bodyLimit?: string | number;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Where the metrics go; shared with the upstream client's metrics so /metrics shows both. */
  registry?: Registry;
}

/** The LLM REST service: JSON in, protobuf to API Gateway and the Lambda, JSON out. */
export function createApp({
  upstream,
  logger,
  timeoutMs = DEFAULT_UPSTREAM_TIMEOUT_MS,
  bodyLimit = '256kb',
  apiKey,
  registry = new client.Registry(),
}: LlmServiceDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const metrics = createHttpMetrics('llm_service', registry);
  const tokens = new client.Counter({
    name: 'llm_service_tokens_total',
    help: 'Tokens the cloud model read (input) and wrote (output)',
    labelNames: ['model', 'direction'] as const,
    registers: [registry],
  });
  const upstreamErrors = new client.Counter({
    name: 'llm_service_upstream_errors_total',
    help: 'Failed generate calls by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });

  app.use(securityHeaders());
  app.use(requestId());
  app.use(metrics.middleware);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (apiKey) app.use(bearerAuth(apiKey, { realm: 'llm-service', variable: 'API_KEY' }));
  app.get('/ready', async (_req, res) => {
    if (!(await upstream.isReady()))
      throw new HttpError(503, 'NOT_READY', 'The API gateway is not answering');
    res.json({ status: 'ready' });
  });
  app.get('/metrics', metrics.handler);

  const body = jsonBody({ limit: bodyLimit, required: true });
  app.post('/api/v1/generate', callerDeadline(timeoutMs), body, async (req, res) => {
    const id = res.locals.requestId as string;
    const params = parseGenerateBody(req.body);
    const started = Date.now();
    try {
      const out = await upstream.generate({ requestId: id, ...params }, { deadline: deadlineOf(res) });
      const latencyMs = Date.now() - started;
      tokens.inc({ model: out.model, direction: 'input' }, out.inputTokens);
      tokens.inc({ model: out.model, direction: 'output' }, out.outputTokens);
      logger.info(
        {
          requestId: id,
          model: out.model,
          inputTokens: out.inputTokens,
          outputTokens: out.outputTokens,
          latencyMs,
        },
        'generated',
      );
      res.json({
        response: out.text,
        model: out.model,
        stopReason: out.stopReason,
        usage: { inputTokens: out.inputTokens, outputTokens: out.outputTokens },
        latencyMs,
        requestId: id,
      });
    } catch (err) {
      upstreamErrors.inc({ code: err instanceof HttpError ? err.code : 'INTERNAL' });
      throw err;
    }
  });

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

/**
 * Sets `res.locals.deadline`, before the body is read (the caller's clock started when it sent the request):
 * now + min(timeoutMs, the caller's X-Request-Timeout-Ms − SERVICE_DEADLINE_MARGIN_MS). A malformed header is a 400.
 */
function callerDeadline(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const callerTimeoutMs = parseRequestTimeout(req.headers[REQUEST_TIMEOUT_HEADER.toLowerCase()]);
    res.locals.deadline = Date.now() + hopBudgetMs(timeoutMs, callerTimeoutMs, SERVICE_DEADLINE_MARGIN_MS);
    next();
  };
}

const deadlineOf = (res: { locals: Record<string, unknown> }) => res.locals.deadline as number;
