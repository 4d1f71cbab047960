import type { Client, WorkflowHandle } from '@temporalio/client';
import express from 'express';
import type { NextFunction, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../shared/config';
import { HttpError, NotFoundError } from '../../shared/errors';
import { createHttpMetrics, errorHandler, jsonBody, notFound, requestId } from '../../shared/http';
import type { Logger } from '../../shared/logger';
import { parseOrThrow } from '../../shared/validation';
import {
  conversationIdSchema,
  conversationInputSchema,
  stopSignal,
  transcriptQuery,
  WORKFLOW_ID_PREFIX,
  WORKFLOW_TYPE,
} from '../definitions';
import type { ConversationInput } from '../definitions';
import type { conversationWorkflow } from '../workflows';

/** The parts of a Temporal `Client` the API uses (tests pass a fake). */
export type ConversationClient = Pick<Client, 'workflow' | 'workflowService'>;

export interface AppDeps {
  client: ConversationClient;
  config: Pick<
    Config,
    'TEMPORAL_TASK_QUEUE' | 'CONVERSATION_MAX_TURNS' | 'CONVERSATION_TIMEOUT_MINUTES' | 'OUTPUT_DIR'
  >;
  logger: Logger;
}

type ConversationHandle = WorkflowHandle<typeof conversationWorkflow>;

const READY_TIMEOUT_MS = 3000;

export function createApp({ client, config, logger }: AppDeps): express.Express {
  const app = express();
  const metrics = createHttpMetrics('conversation_api');
  app.disable('x-powered-by');
  app.use(requestId(), metrics.middleware, jsonBody());

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/ready', async (_req, res) => {
    await withTimeout(client.workflowService.getSystemInfo({}), READY_TIMEOUT_MS).catch((err: unknown) => {
      throw new HttpError(503, 'NOT_READY', 'Temporal is not reachable', undefined, { cause: err });
    });
    res.json({ status: 'ready' });
  });

  app.get('/metrics', metrics.handler);

  app.post('/conversation', async (req, res) => {
    const body = parseOrThrow(conversationInputSchema, req.body ?? {});
    const input: ConversationInput = {
      ...body,
      conversationId: body.conversationId ?? `${WORKFLOW_ID_PREFIX}${randomUUID()}`,
      maxTurns: body.maxTurns ?? config.CONVERSATION_MAX_TURNS,
      timeoutMinutes: body.timeoutMinutes ?? config.CONVERSATION_TIMEOUT_MINUTES,
    };
    const { handle, runId, status } = await start(client, config.TEMPORAL_TASK_QUEUE, input);
    const id = handle.workflowId;
    const base = `${req.protocol}://${req.get('host') ?? 'localhost'}/conversation/${encodeURIComponent(id)}`;
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
    const result = await handle.result().catch((err: unknown) => {
      throw new HttpError(500, 'CONVERSATION_FAILED', `Conversation ${id} did not complete`, undefined, {
        cause: err,
      });
    });
    // The original service's blocking answer, plus ours.
    res.status(200).json({
      ...started,
      status: 'COMPLETED',
      turns: result.completedTurns,
      averageProcessingTimeMs: result.averageProcessingTimeMs,
      conversation: result.turns,
      endReason: result.endReason,
      csvPath: result.csvPath,
      jsonlPath: result.jsonlPath,
      ...(result.error ? { error: result.error } : {}),
    });
  });

  app.get('/conversation/:id', async (req, res) => {
    const id = parseOrThrow(conversationIdSchema, req.params.id, 'conversation id');
    const transcript = await handleFor(client, id).query(transcriptQuery).catch(notFoundAs(id));
    res.json({ conversationId: id, ...transcript });
  });

  app.post('/conversation/:id/stop', async (req, res) => {
    const id = parseOrThrow(conversationIdSchema, req.params.id, 'conversation id');
    await handleFor(client, id).signal(stopSignal).catch(notFoundAs(id));
    res.status(202).json({ conversationId: id, status: 'stopping' });
  });

  app.get('/conversation/:id/csv', async (req, res, next) => {
    const id = parseOrThrow(conversationIdSchema, req.params.id, 'conversation id');
    const handle = handleFor(client, id);
    const description = await handle.describe().catch(notFoundAs(id));
    if (description.status.name !== 'COMPLETED') {
      throw new NotFoundError(`The CSV of ${id} is not available (workflow ${description.status.name})`);
    }
    const { csvPath } = await handle.result();
    const root = path.resolve(config.OUTPUT_DIR);
    const relative = path.relative(root, path.resolve(csvPath));
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new NotFoundError(`The CSV of ${id} is not in this service's output folder`);
    }
    sendCsv(res, next, csvPath, id);
  });

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

/** Starting an id twice returns the existing run: USE_EXISTING while it runs, the closed run after. */
async function start(client: ConversationClient, taskQueue: string, input: ConversationInput) {
  const workflowId = input.conversationId!;
  try {
    const handle = await client.workflow.start<typeof conversationWorkflow>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { handle: handle as ConversationHandle, runId: handle.firstExecutionRunId, status: 'RUNNING' };
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    const handle = handleFor(client, workflowId);
    const description = await handle.describe();
    return { handle, runId: description.runId, status: description.status.name };
  }
}

function handleFor(client: ConversationClient, id: string): ConversationHandle {
  return client.workflow.getHandle<typeof conversationWorkflow>(id);
}

function notFoundAs(id: string) {
  return (err: unknown): never => {
    if (err instanceof Error && err.name === 'WorkflowNotFoundError') {
      throw new NotFoundError(`No conversation with id ${id}`);
    }
    throw err;
  };
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
