/**
 * The conversation's routes: `POST /conversation` (`?wait=true` answers when it has finished), its status, its CSV
 * and its signals. Mounted by the API's app after its JSON body parser, auth and rate limits.
 */
import type { WorkflowExecutionDescription } from '@temporalio/client';
import express from 'express';
import type { Request } from 'express';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { pauseSignal, resumeSignal, stopSignal, transcriptQuery } from '../contracts/conversation';
import type { ConversationResult, EndReason, TranscriptState } from '../contracts/conversation';
import { inputSchemas } from '../contracts/conversation-input';
import { NotFoundError } from '../contracts/errors';
import { DEFAULT_CATALOG, endpointIssues, type EndpointCatalog } from '../models/endpoints';
import type { OutputStore } from '../output/store';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import { temporalHttpErrors, unsuccessfulCloseOf } from '../shared/temporal-errors';
import { invalid, parseOrThrow } from '../shared/validation';
import { workflowResource } from '../shared/workflow-resource';
import type { WorkflowClient } from '../shared/workflow-resource';
import { ensureRoomToStart } from './room-to-start';
import { END_REASON, TURNS_COMPLETED } from './search-attributes';
import { startConversation, withConfigDefaults } from './start';
import type { StartConfig } from './start';
import type { conversationWorkflow } from './workflows/conversation';

export interface ConversationRoutesDeps {
  client: WorkflowClient;
  config: StartConfig & Pick<Config, 'CONVERSATION_MAX_RUNNING' | 'PUBLIC_BASE_URL'>;
  logger: Logger;
  /** Where the workers write (OUTPUT_DIR or OUTPUT_URL): the CSV route streams from it. */
  store: OutputStore;
  /** The endpoints `cloud.endpoint` and `local.endpoint` may name (MODEL_ENDPOINTS_FILE); unset: the defaults. */
  endpoints?: EndpointCatalog;
}

export function conversationRoutes({
  client,
  config,
  logger,
  store,
  endpoints = DEFAULT_CATALOG,
}: ConversationRoutesDeps): express.Router {
  const router = express.Router();
  const resourceOf = (id: string) =>
    workflowResource<typeof conversationWorkflow>(client, logger, 'conversation', id);

  router.post('/conversation', async (req, res) => {
    const body = parseOrThrow(inputSchemas().conversationInput, req.body ?? {});
    const [unknown, ...more] = endpointIssues(endpoints, body).map((i) => ({
      field: i.path,
      message: i.message,
    }));
    if (unknown) throw invalid('request body', [unknown, ...more]);
    const input = withConfigDefaults(body, config, endpoints);
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
  router.get('/conversation/:id', async (req, res) => {
    const id = conversationId(req);
    const conversation = resourceOf(id);
    const description = await conversation.describe();
    const workflowStatus = description.status.name;
    if (workflowStatus === 'COMPLETED') {
      const result = await conversation.handle.result().catch(conversation.errors);
      res.json({ conversationId: id, workflowStatus, ...transcriptOfResult(result) });
      return;
    }
    const transcript = await conversation.query(transcriptQuery);
    res.json({ conversationId: id, workflowStatus, ...(transcript ?? transcriptOfDescription(description)) });
  });

  for (const [action, signal, status] of [
    ['stop', stopSignal, 'stopping'],
    ['pause', pauseSignal, 'paused'],
    ['resume', resumeSignal, 'running'],
  ] as const) {
    router.post(`/conversation/:id/${action}`, async (req, res) => {
      const id = conversationId(req);
      await resourceOf(id).signal(signal);
      res.status(202).json({ conversationId: id, status });
    });
  }

  router.get('/conversation/:id/csv', async (req, res) => {
    const id = conversationId(req);
    const conversation = resourceOf(id);
    const description = await conversation.describe();
    if (description.status.name !== 'COMPLETED') {
      throw new NotFoundError(`The CSV of ${id} is not available (workflow ${description.status.name})`);
    }
    const { csvPath } = await conversation.handle.result().catch(conversation.errors);
    const key = store.keyOf(csvPath);
    if (key === undefined) throw new NotFoundError(`The CSV of ${id} is not in this service's output store`);
    const csv = await store.openRead(key);
    if (!csv) throw new NotFoundError(`The CSV of ${id} is missing`);
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${path.posix.basename(key)}"`);
    if (csv.size !== undefined) res.setHeader('Content-Length', String(csv.size));
    // A store that fails mid-way cuts the response short (the status has been sent): the client sees it incomplete.
    pipeline(csv.body, res, (err) => {
      if (err) logger.warn({ err, conversationId: id }, 'CSV stream broke off');
    });
  });

  return router;
}

function conversationId(req: Request): string {
  return parseOrThrow(inputSchemas().conversationId, req.params.id, 'conversation id');
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
