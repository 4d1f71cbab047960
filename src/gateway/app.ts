import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import express from 'express';
import type { Express, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import {
  API_GATEWAY_TIMEOUT_MS,
  GATEWAY_DEADLINE_MARGIN_MS,
  hopBudgetMs,
  parseRequestTimeout,
  REQUEST_TIMEOUT_HEADER,
} from '../contracts/deadline';
import { errorHandler, notFound, securityHeaders } from '../shared/http';
import type { Logger } from '../shared/logger';
import { createLambdaContext, toRestProxyEvent } from './event';
import { forwardTraceContext } from './trace-context';

export type LambdaProxyHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface GatewayDeps {
  handler: LambdaProxyHandler;
  logger: Logger;
  stage?: string;
  /**
   * The integration timeout (API Gateway's 29 s cap by default); API Gateway answers 504 when the Lambda takes
   * longer. A caller's shorter `X-Request-Timeout-Ms` (less GATEWAY_DEADLINE_MARGIN_MS) shortens it, and with it
   * the Lambda context's remaining time.
   */
  timeoutMs?: number;
  binaryMediaTypes?: readonly string[];
}

class IntegrationTimeout extends Error {
  override readonly name = 'IntegrationTimeout';
}

/**
 * A local stand-in for the REST API in lambda/template.yaml: `POST /generate` becomes the same proxy event
 * API Gateway sends, the Lambda handler's result becomes the HTTP response.
 */
export function createGatewayApp({
  handler,
  logger,
  stage = 'local',
  timeoutMs = API_GATEWAY_TIMEOUT_MS,
  binaryMediaTypes = ['application/x-protobuf'],
}: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/generate', express.raw({ type: () => true, limit: '6mb' }), async (req, res) => {
    const requestId = randomUUID();
    const started = Date.now();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // The event carries the caller's header as sent, like API Gateway's; the Lambda judges it (a malformed one: 400).
    const event = toRestProxyEvent(req, body, { stage, requestId, now: new Date(started), binaryMediaTypes });
    await forwardTraceContext(event);
    res.setHeader('x-amzn-RequestId', requestId);
    const integrationMs = hopBudgetMs(timeoutMs, callerTimeout(req), GATEWAY_DEADLINE_MARGIN_MS);
    if (integrationMs <= 0) {
      logger.warn({ requestId }, "caller's deadline passed on arrival: not invoking");
      res.status(504).json({ message: 'Endpoint request timed out' });
      return;
    }
    try {
      const invocation = Promise.resolve().then(() =>
        handler(event, createLambdaContext(requestId, integrationMs)),
      );
      const result = await withTimeout(invocation, integrationMs);
      writeResult(res, result);
      // Debug: the Lambda logs every invocation itself; a second line per request would only cost throughput.
      logger.debug({ requestId, status: result.statusCode, latencyMs: Date.now() - started }, 'invoked');
    } catch (err) {
      // API Gateway's own replies when the integration fails: JSON `{message}`, not the Lambda's format.
      if (err instanceof IntegrationTimeout) {
        logger.error({ requestId, timeoutMs: integrationMs }, 'integration timed out');
        res.status(504).json({ message: 'Endpoint request timed out' });
      } else {
        logger.error({ err, requestId }, 'lambda invocation failed');
        res.status(502).json({ message: 'Internal server error' });
      }
    }
  });

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

/** The caller's X-Request-Timeout-Ms; a malformed one is ignored here (API Gateway does not read it either). */
function callerTimeout(req: Request): number | undefined {
  try {
    return parseRequestTimeout(req.headers[REQUEST_TIMEOUT_HEADER.toLowerCase()]);
  } catch {
    return undefined;
  }
}

function writeResult(res: Response, result: APIGatewayProxyResult): void {
  if (!Number.isInteger(result?.statusCode) || typeof result.body !== 'string') {
    throw new Error('Malformed Lambda proxy response: statusCode and body are required');
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    res.setHeader(name, values.map(String));
  }
  const bytes = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.status(result.statusCode).end(bytes);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new IntegrationTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
