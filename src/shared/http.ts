import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import helmet from 'helmet';
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import {
  CrossSiteRequestError,
  HttpError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../contracts/errors';
import type { Logger } from './logger';
import { isWellFormedRequestId } from './request-id';

/** Reuses a well-formed `X-Request-Id` or makes one, and echoes it on the response. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && isWellFormedRequestId(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

/**
 * Helmet's security headers, tightened for JSON APIs that serve no page: a Content-Security-Policy that lets a
 * response load nothing and be framed nowhere, `X-Frame-Options: DENY`; the rest are Helmet's defaults
 * (`nosniff`, `Cross-Origin-Resource-Policy: same-origin`, `Referrer-Policy: no-referrer`, HSTS, …), and no
 * `X-Powered-By`.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
  });
}

/**
 * Refuses a state-changing request (any method but GET, HEAD, OPTIONS) that a browser sent from another site,
 * the way Go's `http.CrossOriginProtection` does: by `Sec-Fetch-Site` where the browser sends it, else by an
 * `Origin` that differs from the `Host` it was sent to. Clients that are not browsers (curl, Node's fetch, the
 * SDKs) send neither header and pass. This covers the bodyless cross-site POSTs (`fetch` with `mode: 'no-cors'`,
 * `navigator.sendBeacon`) that carry no Content-Type for `jsonBody` to refuse.
 */
export function refuseCrossSiteRequests(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const site = req.get('sec-fetch-site');
    if (site !== undefined) {
      return site === 'same-origin' || site === 'none' ? next() : next(new CrossSiteRequestError());
    }
    const origin = req.get('origin');
    if (origin === undefined || hostOf(origin) === req.get('host')) return next();
    next(new CrossSiteRequestError());
  };
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // `Origin: null` (sandboxed frames, some redirects) is never this host.
  }
}

export interface JsonBodyOptions {
  limit?: string | number;
  /** Refuse a request without a body (400) instead of reading it as `{}`. */
  required?: boolean;
}

/**
 * JSON bodies only (UTF-8, with a size limit); every way a body can be wrong becomes a 4xx through `errorHandler`.
 * A Content-Type other than JSON is refused (415) even when the body is empty, so the "simple" types a browser
 * may send cross-site without asking (forms, text/plain) never reach a handler. A request with neither a body nor
 * a Content-Type (`curl -X POST`) reads as `{}`.
 */
export function jsonBody({ limit = '256kb', required = false }: JsonBodyOptions = {}): RequestHandler {
  const parse = express.json({ limit, strict: true, type: () => true, verify: requireUtf8 });
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const contentType = req.get('content-type');
    const length = Number(req.get('content-length') ?? '0');
    const hasBody = length > 0 || req.get('transfer-encoding') !== undefined;
    if ((contentType !== undefined || hasBody) && !isJsonMediaType(contentType)) {
      return next(new UnsupportedMediaTypeError('Content-Type must be application/json'));
    }
    if (required && !hasBody) {
      return next(new ValidationError('Request body is required: a JSON object'));
    }
    const charset = /;\s*charset="?([^";]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new UnsupportedMediaTypeError('JSON bodies must be UTF-8 (charset=utf-8)'));
    }
    parse(req, res, next);
  };
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

/** The JSON parser would quietly turn invalid UTF-8 into U+FFFD; refuse it instead. */
function requireUtf8(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw new HttpError(400, 'INVALID_UTF8', 'Request body is not valid UTF-8');
}

/** Request count and latency by route and status, plus Node's default metrics, on a private registry. */
export function createHttpMetrics(prefix: string, registry = new client.Registry()) {
  client.collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  const requests = new client.Counter({
    name: `${prefix}_http_requests_total`,
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const labels = { method: req.method, route: String(route), status: String(res.statusCode) };
      requests.inc(labels);
      end(labels);
    });
    next();
  };
  const handler: RequestHandler = (_req, res, next) => {
    registry
      .metrics()
      .then((text) => res.type(registry.contentType).send(text))
      .catch(next);
  };
  return { registry, middleware, handler };
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  limit?: number;
}

/** Maps every error to the API's `{error:{code,message,details?}}` shape; only our own bugs are 500s. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    const http = toHttpError(err);
    if (http.statusCode >= 500) log.error({ err, requestId, path: req.path }, 'request failed');
    else log.warn({ requestId, path: req.path, code: http.code, msg: http.message }, 'request rejected');
    res.status(http.statusCode).set(http.headers).json(http.toJSON());
  };
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const parserError = err as BodyParserError;
  switch (parserError.type) {
    case 'entity.too.large':
      return new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `Request body is larger than the limit of ${parserError.limit ?? '?'} bytes`,
      );
    case 'entity.parse.failed':
      return new HttpError(400, 'INVALID_JSON', 'Request body is not a valid JSON object', {
        reason: parserError.message,
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset');
  }
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new HttpError(parserError.status, 'BAD_REQUEST', 'The request could not be read');
  }
  return new HttpError(500, 'INTERNAL', 'Internal server error', undefined, { cause: err });
}

/** Answers 404 in the API's error shape for any route not matched. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
