/**
 * A local stand-in for the Amazon Bedrock control plane's batch inference API, speaking its REST-JSON wire
 * protocol so the real `@aws-sdk/client-bedrock` drives it: CreateModelInvocationJob, GetModelInvocationJob,
 * StopModelInvocationJob and ListModelInvocationJobs. Jobs run against real S3 (any S3 API server) and the stack's
 * model provider (see jobs.ts). Routes under `/_local/` are the stand-in's own: health, fault injection and the
 * requests it received, for tests.
 */
import express from 'express';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/logger';
import { BedrockServiceError, isBedrockServiceError } from './errors';
import type { FaultQueue, Operation } from './faults';
import { faultsSchema } from './faults';
import type { BatchJobs } from './jobs';
import { parseCreateJob, parseJobIdentifier, parseListJobsQuery } from './wire';

/** One request as it arrived, for tests that check it against the service model. */
export interface ReceivedRequest {
  operation: Operation;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

export interface BedrockBatchAppDeps {
  jobs: BatchJobs;
  faults: FaultQueue;
  logger: Logger;
  /** The requests kept for `GET /_local/requests` (the latest ones). */
  keepRequests?: number;
}

/** `Credential=AKID/20240101/us-east-1/bedrock/aws4_request`: the service the request was signed for. */
const SIGNED_FOR = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

export function createBedrockBatchApp({
  jobs,
  faults,
  logger,
  keepRequests = 10_000,
}: BedrockBatchAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const received: ReceivedRequest[] = [];

  app.use((_req, res, next) => {
    res.setHeader('x-amzn-RequestId', randomUUID());
    next();
  });

  app.get('/_local/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/_local/requests', (_req, res) => {
    res.json({ requests: received });
  });
  app.post('/_local/faults', express.json(), (req, res) => {
    const parsed = faultsSchema.safeParse(req.body);
    if (!parsed.success) {
      res
        .status(400)
        .json({ message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    faults.add(parsed.data);
    res.json({ pending: faults.pending() });
  });
  app.delete('/_local/faults', (_req, res) => {
    faults.clear();
    res.json({ pending: faults.pending() });
  });

  /** Checks the signature's scope, records the request, then applies any injected fault for the operation. */
  const operation =
    (name: Operation): RequestHandler =>
    (req, _res, next) => {
      const signedFor = SIGNED_FOR.exec(req.get('authorization') ?? '')?.[1];
      if (!signedFor) {
        throw new BedrockServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      if (signedFor !== 'bedrock') {
        throw new BedrockServiceError(
          'AccessDeniedException',
          `Credential should be scoped to correct service: 'bedrock', not '${signedFor}'`,
        );
      }
      received.push({
        operation: name,
        method: req.method,
        path: req.path,
        query: Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)])),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: req.body as unknown,
      });
      if (received.length > keepRequests) received.shift();
      const injected = faults.requestError(name);
      if (injected) throw new BedrockServiceError(injected, `Injected ${injected}`);
      next();
    };

  const jsonBody = express.json({ type: () => true, limit: '1mb' });

  app.post('/model-invocation-job', jsonBody, operation('CreateModelInvocationJob'), (req, res) => {
    res.json(jobs.create(parseCreateJob(req.body)));
  });
  app.get('/model-invocation-job/:jobIdentifier', operation('GetModelInvocationJob'), (req, res) => {
    res.json(jobs.get(parseJobIdentifier(param(req, 'jobIdentifier'))));
  });
  app.post('/model-invocation-job/:jobIdentifier/stop', operation('StopModelInvocationJob'), (req, res) => {
    jobs.stop(parseJobIdentifier(param(req, 'jobIdentifier')));
    res.json({});
  });
  app.get('/model-invocation-jobs', operation('ListModelInvocationJobs'), (req, res) => {
    res.json(jobs.list(parseListJobsQuery(req.query)));
  });

  app.use((req) => {
    throw new BedrockServiceError('UnknownOperationException', `No operation at ${req.method} ${req.path}`);
  });
  app.use(bedrockErrors(logger));
  return app;
}

function param(req: Request, name: string): string {
  return String(req.params[name] ?? '');
}

function bedrockErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res: Response, _next) => {
    const error = isBedrockServiceError(err) ? err : asServiceError(err);
    if (error.statusCode >= 500) logger.error({ err, path: req.path }, 'request failed');
    else logger.debug({ path: req.path, errorType: error.errorType, msg: error.message }, 'request rejected');
    res
      .status(error.statusCode)
      .set('x-amzn-ErrorType', error.errorType)
      .type('application/json')
      .send(JSON.stringify(error.toJSON()));
  };
}

/** Body-parser failures are the caller's (a malformed body); anything else is the stand-in's own fault. */
function asServiceError(err: unknown): BedrockServiceError {
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new BedrockServiceError('SerializationException', 'The request body could not be read as JSON');
  }
  return new BedrockServiceError('InternalServerException', 'Internal server error');
}
