import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { campaignRoutes } from '../campaign/routes';
import type { Config } from '../shared/config';
import { HttpError, NotFoundError } from '../contracts/errors';
import { bearerAuth } from '../shared/auth';
import {
  createHttpMetrics,
  errorHandler,
  jsonBody,
  notFound,
  refuseCrossSiteRequests,
  requestId,
  securityHeaders,
} from '../shared/http';
import type { Logger } from '../shared/logger';
import { temporalHttpErrors, unsuccessfulCloseOf } from '../shared/temporal-errors';
import { parseOrThrow } from '../shared/validation';
import { inputSchemas, pauseSignal, resumeSignal, stopSignal, transcriptQuery } from '../contracts/conversation';
import type { ConversationResult, EndReason, TranscriptState } from '../contracts/conversation';
import { END_REASON, TURNS_COMPLETED } from '../conversation/search-attributes';
import { startConversation, withConfigDefaults } from '../conversation/start';
import type { ConversationHandle, StartConfig } from '../conversation/start';
import type { conversationWorkflow } from '../worker/workflows';
import { ensureRoomToStart, perClientRateLimit } from './guards';

/** The parts of a Temporal `Client` the API uses (tests pass a fake). */
export type ConversationClient = Pick<Client, 'workflow' | 'workflowService' | 'withDeadline'>;

export interface AppDeps {
  client: ConversationClient;
  config: StartConfig &
    Pick<
      Config,
      | 'OUTPUT_DIR'
      | 'INPUT_DIR'
      | 'CONVERSATION_API_KEY'
      | 'CONVERSATION_API_RATE_LIMIT_PER_MINUTE'
      | 'CONVERSATION_MAX_RUNNING'
      | 'CONVERSATION_API_TRUST_PROXY'
      | 'PUBLIC_BASE_URL'
    >;
  logger: Logger;
}

const READY_TIMEOUT_MS = 3000;
/** A query needs a worker; when none answers in this time, the status comes from Temporal's own records. */
const QUERY_TIMEOUT_MS = 3000;

/**
 * /health and /ready are open to all (probes); every other route is rate-limited per client, needs the bearer key
 * when CONVERSATION_API_KEY is set, and takes JSON bodies only, never from a browser on another site.
 */
export function createApp({ client, config, logger }: AppDeps): express.Express {
  const app = express();
  const metrics = createHttpMetrics('conversation_api');
  app.disable('x-powered-by');
  app.set('trust proxy', config.CONVERSATION_API_TRUST_PROXY);
  app.use(securityHeaders(), requestId(), metrics.middleware);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/ready', async (_req, res) => {
    await withTimeout(client.workflowService.getSystemInfo({}), READY_TIMEOUT_MS).catch((err: unknown) => {
      throw new HttpError(503, 'NOT_READY', 'Temporal is not reachable', undefined, { cause: err });
    });
    res.json({ status: 'ready' });
  });

  if (config.CONVERSATION_API_RATE_LIMIT_PER_MINUTE > 0) {
    app.use(perClientRateLimit(config.CONVERSATION_API_RATE_LIMIT_PER_MINUTE, logger));
  }
  if (config.CONVERSATION_API_KEY) {
    app.use(
      bearerAuth(config.CONVERSATION_API_KEY, {
        realm: 'conversation-api',
        variable: 'CONVERSATION_API_KEY',
      }),
    );
  }
  // Before the JSON-only body parser: a campaign spec may also come as YAML.
  app.use('/campaigns', campaignRoutes({ client, config, logger }));
  app.use(refuseCrossSiteRequests(), jsonBody());

  app.get('/metrics', metrics.handler);

  app.post('/conversation', async (req, res) => {
    const body = parseOrThrow(inputSchemas().conversationInput, req.body ?? {});
    const input = withConfigDefaults(body, config);
    await ensureRoomToStart(
      client,
      config.CONVERSATION_MAX_RUNNING,
      { workflowId: input.conversationId!, idGivenByCaller: body.conversationId !== undefined },
      temporalErrors(input.conversationId!),
    );
    const {
      handle,
      workflowId: id,
      runId,
      status,
    } = await startConversation(client, config.TEMPORAL_TASK_QUEUE, input).catch(
      temporalErrors(input.conversationId!),
    );
    // From configuration only: the Host header is the client's to choose.
    const base = `${config.PUBLIC_BASE_URL ?? ''}/conversation/${encodeURIComponent(id)}`;
    logger.info({ workflowId: id, runId, requestId: res.locals.requestId as string }, 'conversation started');
    const started = {
      conversationId: id,
      workflowId: id,
      runId,
      status,
      statusUrl: base,
      csvUrl: `${base}/csv`,
    };
    if (req.query.wait !== 'true') {
      res.status(202).json(started);
      return;
    }
    const outcome = await handle.result().then(
      (result) => ({ result }),
      (err: unknown) => {
        const closed = unsuccessfulCloseOf(err);
        return closed ? { closed } : temporalErrors(id)(err);
      },
    );
    if ('closed' in outcome) {
      // The run failed, was cancelled, terminated or timed out: a finished conversation all the same, answered
      // with how it closed and, from its search attributes, how far it got.
      const attributes = await handle.describe().then(
        (d) => d.typedSearchAttributes,
        () => undefined,
      );
      const endReason = attributes?.get(END_REASON) as EndReason | undefined;
      res.status(200).json({
        ...started,
        status: outcome.closed.status,
        turns: attributes?.get(TURNS_COMPLETED) ?? 0,
        ...(endReason ? { endReason } : {}),
        error: outcome.closed.error,
      });
      return;
    }
    const { result } = outcome;
    // The original service's blocking answer, plus ours; a run ended by a failing activity completes with
    // endReason 'error' and its `error`.
    res.status(200).json({
      ...started,
      status: 'COMPLETED',
      turns: result.completedTurns,
      averageProcessingTimeMs: result.averageProcessingTimeMs,
      conversation: result.turns,
      endReason: result.endReason,
      ...exportOfResult(result),
    });
  });

  /**
   * The `transcript` query while a worker can answer it; for a completed conversation the workflow result
   * (no worker needed); otherwise what Temporal itself knows (status, turns done, end reason).
   */
  app.get('/conversation/:id', async (req, res) => {
    const id = conversationId(req);
    const handle = handleFor(client, id);
    const description = await handle.describe().catch(temporalErrors(id));
    const workflowStatus = description.status.name;
    if (workflowStatus === 'COMPLETED') {
      const result = await handle.result().catch(temporalErrors(id));
      res.json({ conversationId: id, workflowStatus, ...transcriptOfResult(result) });
      return;
    }
    const transcript = await client
      .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(transcriptQuery))
      .catch((err: unknown) => {
        logger.debug({ err, workflowId: id }, 'transcript query not answered');
        return undefined;
      });
    res.json({ conversationId: id, workflowStatus, ...(transcript ?? transcriptOfDescription(description)) });
  });

  for (const [action, signal, status] of [
    ['stop', stopSignal, 'stopping'],
    ['pause', pauseSignal, 'paused'],
    ['resume', resumeSignal, 'running'],
  ] as const) {
    app.post(`/conversation/:id/${action}`, async (req, res) => {
      const id = conversationId(req);
      const handle = handleFor(client, id);
      await handle.signal(signal).catch(async (err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) return temporalErrors(id)(err);
        // Signalling a closed workflow is "not found" too: tell the two apart.
        const description = await handle.describe().catch(temporalErrors(id));
        throw new HttpError(
          409,
          'CONVERSATION_FINISHED',
          `Conversation ${id} has already finished (${description.status.name})`,
        );
      });
      res.status(202).json({ conversationId: id, status });
    });
  }

  app.get('/conversation/:id/csv', async (req, res, next) => {
    const id = conversationId(req);
    const handle = handleFor(client, id);
    const description = await handle.describe().catch(temporalErrors(id));
    if (description.status.name !== 'COMPLETED') {
      throw new NotFoundError(`The CSV of ${id} is not available (workflow ${description.status.name})`);
    }
    const { csvPath } = await handle.result().catch(temporalErrors(id));
    const root = path.resolve(config.OUTPUT_DIR);
    const relative = path.relative(root, path.resolve(csvPath));
    // By whole segments: `..backup.csv` is a name inside the folder, `../x.csv` is outside.
    if (relative === '' || relative.split(path.sep)[0] === '..' || path.isAbsolute(relative)) {
      throw new NotFoundError(`The CSV of ${id} is not in this service's output folder`);
    }
    sendCsv(res, next, csvPath, id);
  });

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

function conversationId(req: Request): string {
  return parseOrThrow(inputSchemas().conversationId, req.params.id, 'conversation id');
}

function handleFor(client: ConversationClient, id: string): ConversationHandle {
  return client.workflow.getHandle<typeof conversationWorkflow>(id);
}

function transcriptOfResult(result: ConversationResult) {
  const transcript: Omit<TranscriptState, 'deadline'> = {
    status: 'completed',
    paused: false,
    turns: result.turns,
    completedTurns: result.completedTurns,
    maxTurns: result.maxTurns,
    endReason: result.endReason,
  };
  return { ...transcript, ...exportOfResult(result) };
}

/** Where the transcript went (and, when the requested name could not be written, why), and a failure's error. */
function exportOfResult(result: ConversationResult) {
  return {
    csvPath: result.csvPath,
    jsonlPath: result.jsonlPath,
    ...(result.requestedOutputFile === undefined ? {} : { requestedOutputFile: result.requestedOutputFile }),
    ...(result.exportNote === undefined ? {} : { exportNote: result.exportNote }),
    ...(result.error ? { error: result.error } : {}),
  };
}

/** No worker answered: the workflow status and the search attributes the workflow keeps up to date. */
function transcriptOfDescription(description: WorkflowExecutionDescription) {
  const attributes = description.typedSearchAttributes;
  const endReason = attributes.get(END_REASON) as EndReason | undefined;
  return {
    status: description.status.name === 'RUNNING' ? 'running' : description.status.name.toLowerCase(),
    completedTurns: attributes.get(TURNS_COMPLETED) ?? 0,
    turns: null,
    ...(endReason ? { endReason } : {}),
    note: 'No worker answered the transcript query: turns are shown once a worker is running.',
  };
}

/** Unknown id → 404; Temporal unreachable → 503; anything else is ours (500). */
function temporalErrors(id: string) {
  return temporalHttpErrors('conversation', id);
}

function sendCsv(res: Response, next: NextFunction, file: string, id: string): void {
  const stream = createReadStream(file);
  stream.once('open', () => {
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${path.basename(file)}"`);
    stream.pipe(res);
  });
  stream.once('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) res.destroy(err);
    else next(err.code === 'ENOENT' ? new NotFoundError(`The CSV of ${id} is missing`) : err);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
