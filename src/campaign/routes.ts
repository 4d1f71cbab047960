/**
 * The campaign routes of the Conversation API, mounted at `/campaigns` by its app (which has already applied the
 * rate limit and the bearer key): start a campaign from a JSON or YAML spec, follow it, pause, resume or cancel it.
 */
import { isGrpcServiceError, WorkflowFailedError } from '@temporalio/client';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import express from 'express';
import type { Request, RequestHandler } from 'express';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  HttpError,
  messageOf,
  NotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../contracts/errors';
import { workflowResource } from '../shared/workflow-resource';
import type { WorkflowClient } from '../shared/workflow-resource';
import { CAMPAIGN_ID, END_REASON, TURNS_COMPLETED } from '../conversation/search-attributes';
import type { Config } from '../shared/config';
import { jsonBody, refuseCrossSiteRequests } from '../shared/http';
import type { Logger } from '../shared/logger';
import { temporalHttpErrors } from '../shared/temporal-errors';
import {
  CAMPAIGN_ID_PATTERN,
  CAMPAIGN_ID_RULE,
  campaignWorkflowId,
  cancelCampaignSignal,
  campaignStatusQuery,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../contracts/campaign';
import { describeIssues, formatPath } from '../contracts/campaign-issues';
import { pilotSizeOf, runEstimate, type PilotSize } from './estimate-run';
import { PilotError } from './estimate-sources';
import { MAX_PILOT_ITEMS } from '../contracts/campaign-spec';
import { renderReport, REPORT_FILE, reportContentSecurityPolicy } from './dataset/report';
import { VIEWER_CONVERSATIONS_FOLDER, VIEWER_FOLDER } from './dataset/viewer/data';
import { campaignKey, readManifest, readText } from '../output/campaign-files';
import type { OutputStore } from '../output/store';
import type { EstimateSettings } from './estimate-settings';
import { startCampaign, writeCampaignPlan } from './start';
import { validateCampaign, MAX_SPEC_JSON_BYTES } from './validate';
import type { EndpointCatalog } from '../models/endpoints';
import { invalid } from '../shared/validation';

export interface CampaignRoutesDeps {
  client: WorkflowClient;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'INPUT_DIR' | 'PUBLIC_BASE_URL'>;
  /** Prices, default models and caps for `?dryRun=true` (see estimate-settings.ts). */
  estimate: EstimateSettings;
  /** Where the campaigns' files are (OUTPUT_DIR or OUTPUT_URL): the report page reads the manifest there. */
  store: OutputStore;
  logger: Logger;
  /** The endpoints a pair's `cloud.endpoint` and `local.endpoint` may name; unset: the defaults. */
  endpoints?: EndpointCatalog;
}

export const MAX_ITEMS_PAGE = 500;
const DEFAULT_ITEMS_PAGE = 100;
/** Room for the spec's JSON (MAX_SPEC_JSON_BYTES) written out more loosely, e.g. as YAML. */
const BODY_LIMIT = 2 * MAX_SPEC_JSON_BYTES;
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

const campaignIdParam = z.string().regex(CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE);

const pageQuery = z
  .object({
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    limit: z.coerce.number().int().min(1).max(MAX_ITEMS_PAGE).default(DEFAULT_ITEMS_PAGE),
  })
  .strict();

/**
 * `POST /campaigns?dryRun=true`: the estimate, nothing started; `&pilot=<items|auto>` runs a pilot of that many items
 * first (and answers when it has ended).
 */
const startQuery = z
  .object({
    dryRun: z.enum(['true', 'false']).optional(),
    pilot: z
      .string()
      .refine(
        (v) => v === 'auto' || (/^\d{1,6}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_PILOT_ITEMS),
        {
          message: `must be auto or a number of items, 1..${MAX_PILOT_ITEMS}`,
        },
      )
      .transform((v): PilotSize => (v === 'auto' ? 'auto' : Number(v)))
      .optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.pilot !== undefined && q.dryRun !== 'true') {
      ctx.addIssue({ code: 'custom', path: ['pilot'], message: 'goes with dryRun=true' });
    }
  })
  .transform((q) => ({ dryRun: q.dryRun === 'true', ...(q.pilot !== undefined && { pilot: q.pilot }) }));

/** The report's files besides the page: route, folder in the campaign's folder, file-name pattern and its rule. */
const REPORT_FILES: [route: string, folder: string, pattern: RegExp, rule: string][] = [
  ['/:id/viewer/:file', VIEWER_FOLDER, /^index\.js$/, 'must be index.js'],
  [
    '/:id/viewer/conversations/:file',
    VIEWER_CONVERSATIONS_FOLDER,
    /^[0-9a-f]{12}\.js$/,
    'must be <item hash: 12 hex digits>.js',
  ],
  [
    '/:id/conversations/:file',
    'conversations',
    /^[0-9a-f]{12}\.(csv|jsonl)$/,
    'must be <item hash: 12 hex digits>.csv or .jsonl',
  ],
];
const REPORT_FILE_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
};

/** How often the live report page of a running campaign reloads itself. */
export const REPORT_REFRESH_SECONDS = 3;

export function campaignRoutes({
  client,
  config,
  logger,
  estimate,
  store,
  endpoints,
}: CampaignRoutesDeps): express.Router {
  const router = express.Router();
  router.use(refuseCrossSiteRequests(), specBody());
  const resourceOf = (campaignId: string) =>
    workflowResource(client, logger, 'campaign', campaignId, campaignWorkflowId(campaignId));

  const statusUrl = (campaignId: string) =>
    `${config.PUBLIC_BASE_URL ?? ''}/campaigns/${encodeURIComponent(campaignId)}`;

  router.post('/', async (req, res) => {
    const { dryRun, pilot } = parseQuery(startQuery, req.query, 'dryRun, pilot');
    const valid = await validateCampaign(req.body ?? {}, {
      inputDir: config.INPUT_DIR,
      ...(endpoints && { endpoints }),
    });
    if (!valid.ok) {
      throw new ValidationError(
        describeIssues(valid.issues),
        valid.issues.map((i) => ({ field: i.path, message: i.message })),
      );
    }
    if (dryRun) {
      // The spec checked and planned, nothing of it started: what it would cost, recorded for the campaign after.
      const size = pilot === undefined ? undefined : pilotSizeOf(valid, pilot);
      if (size && !size.ok) throw invalid('query', [{ field: 'pilot', message: size.message }]);
      const made = await runEstimate({
        campaign: valid,
        settings: estimate,
        store,
        ...(size?.ok && {
          pilot: {
            client,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            inputDir: config.INPUT_DIR,
            size: size.items,
          },
        }),
      }).catch((err: unknown) => {
        if (err instanceof PilotError || err instanceof WorkflowFailedError) {
          throw new HttpError(422, 'PILOT_FAILED', `The pilot gave no estimate: ${messageOf(err)}`);
        }
        throw err;
      });
      res.json({
        dryRun: true,
        campaignId: valid.campaignId,
        workflowId: campaignWorkflowId(valid.campaignId),
        itemCount: valid.items.length,
        estimate: made.estimate,
        recorded: made.recorded,
      });
      return;
    }
    const planIssues = await writeCampaignPlan(store, valid);
    if (planIssues.length > 0) {
      throw new ValidationError(
        describeIssues(planIssues),
        planIssues.map((i) => ({ field: i.path, message: i.message })),
      );
    }
    const started = await startCampaign(client, config.TEMPORAL_TASK_QUEUE, valid).catch(
      temporalErrors(valid.campaignId),
    );
    if (started.existing && started.sameSpec === false) {
      throw new HttpError(
        409,
        'CAMPAIGN_ID_TAKEN',
        `Campaign ${valid.campaignId} exists with another spec: give this one another campaignId`,
      );
    }
    const body = {
      campaignId: started.campaignId,
      workflowId: started.workflowId,
      runId: started.runId,
      status: started.status,
      statusUrl: statusUrl(started.campaignId),
      itemCount: valid.items.length,
      existing: started.existing,
    };
    logger.info(
      {
        workflowId: started.workflowId,
        existing: started.existing,
        requestId: res.locals.requestId as string,
      },
      started.existing ? 'campaign resubmitted: answered with the existing one' : 'campaign started',
    );
    res.status(started.existing ? 200 : 202).json(body);
  });

  router.get('/:id', async (req, res) => {
    const campaignId = idOf(req);
    const page = parsePage(req.query);
    const campaign = resourceOf(campaignId);
    const description = await campaign.describe();
    const view = await campaign.query(campaignStatusQuery);
    const items = await conversationsOf(campaignId, page).catch(temporalErrors(campaignId));
    res.json({
      ...(view ?? statusOfDescription(campaignId, description)),
      workflowStatus: description.status.name,
      items,
    });
  });

  /**
   * The report page. While the campaign runs, it is rendered here from the last checkpoint's manifest with the live
   * counts and totals of the campaignStatus query, and reloads itself every REPORT_REFRESH_SECONDS; once the campaign
   * has closed, it is the report.html of its dataset.
   */
  router.get('/:id/report', async (req, res) => {
    const campaignId = idOf(req);
    const campaign = resourceOf(campaignId);
    const description = await campaign.describe();
    const manifest = await readManifest(store, campaignId);
    if (!manifest) {
      throw new NotFoundError(`Campaign ${campaignId} has no report yet: its first checkpoint writes it`);
    }
    let html: string | undefined;
    if (description.status.name === 'RUNNING') {
      const view = await campaign.query(campaignStatusQuery);
      const live = view
        ? { ...manifest, status: view.status, counts: view.counts, totals: view.totals }
        : manifest;
      html = renderReport({ manifest: live, refreshSeconds: REPORT_REFRESH_SECONDS });
    } else {
      html = (await readText(store, campaignKey(campaignId, REPORT_FILE))) ?? renderReport({ manifest });
    }
    res
      .set('Content-Security-Policy', reportContentSecurityPolicy())
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(html);
  });

  /**
   * The files the report page reads beside it, at the same place relative to /campaigns/:id/report as they are to
   * report.html in the campaign's folder: the viewer's scripts, and the transcripts its table links to. Each name
   * is checked against its one pattern; nothing else in the folder is served.
   */
  for (const [route, folder, pattern, rule] of REPORT_FILES) {
    router.get(route, async (req, res) => {
      const campaignId = idOf(req);
      const file = typeof req.params.file === 'string' ? req.params.file : '';
      if (!pattern.test(file)) throw invalid('path', [{ field: 'file', message: rule }]);
      const key = campaignKey(campaignId, `${folder}/${file}`);
      const stored = await store.openRead(key);
      if (!stored) throw new NotFoundError(`Campaign ${campaignId} has no ${folder}/${file}`);
      res
        .type(REPORT_FILE_TYPES[path.posix.extname(file)]!)
        .set('X-Content-Type-Options', 'nosniff')
        .set('Cache-Control', 'no-store');
      if (stored.size !== undefined) res.setHeader('Content-Length', String(stored.size));
      pipeline(stored.body, res, (err) => {
        if (err) logger.warn({ err, campaignId, file: `${folder}/${file}` }, 'report file stream broke off');
      });
    });
  }

  for (const [action, signal, status] of [
    ['pause', pauseCampaignSignal, 'paused'],
    ['resume', resumeCampaignSignal, 'running'],
    ['cancel', cancelCampaignSignal, 'cancelling'],
  ] as const) {
    router.post(`/:id/${action}`, async (req, res) => {
      const campaignId = idOf(req);
      await resourceOf(campaignId).signal(signal);
      res.status(202).json({ campaignId, workflowId: campaignWorkflowId(campaignId), status });
    });
  }

  /** The campaign's conversations as Temporal's visibility lists them (it may lag a start by a moment). */
  async function conversationsOf(campaignId: string, { offset, limit }: z.infer<typeof pageQuery>) {
    const query = `${CAMPAIGN_ID.name} = "${campaignId}"`;
    try {
      const [{ count }, conversations] = await Promise.all([
        client.workflow.count(query),
        (async () => {
          const found = [];
          let index = 0;
          for await (const execution of client.workflow.list({
            query,
            pageSize: Math.min(offset + limit, 1000),
          })) {
            if (index++ < offset) continue;
            const endReason = execution.typedSearchAttributes.get(END_REASON);
            found.push({
              conversationId: execution.workflowId,
              itemHash: execution.workflowId.slice(campaignWorkflowId(campaignId).length + 1),
              workflowStatus: execution.status.name,
              turns: execution.typedSearchAttributes.get(TURNS_COMPLETED) ?? 0,
              ...(endReason === undefined ? {} : { endReason }),
            });
            if (found.length >= limit) break;
          }
          return found;
        })(),
      ]);
      return { offset, limit, total: count, conversations };
    } catch (err) {
      if (!(isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT)) throw err;
      return {
        offset,
        limit,
        total: 0,
        conversations: [],
        note: `Temporal does not know the ${CAMPAIGN_ID.name} search attribute: start the stack with npm start, which registers it`,
      };
    }
  }

  return router;
}

function idOf(req: Request): string {
  const checked = campaignIdParam.safeParse(req.params.id);
  if (checked.success) return checked.data;
  const message = checked.error.issues[0]!.message;
  throw new ValidationError(`Invalid campaign id: ${message}`, [{ field: 'id', message }]);
}

function parsePage(query: unknown) {
  return parseQuery(pageQuery, query, 'offset, limit');
}

function parseQuery<T>(schema: z.ZodType<T>, query: unknown, known: string): T {
  const checked = schema.safeParse(query);
  if (checked.success) return checked.data;
  const [first, ...more] = checked.error.issues.map((i) => ({
    field: i.code === 'unrecognized_keys' ? i.keys.join(', ') : formatPath(i.path),
    message: i.code === 'unrecognized_keys' ? `is not a known query parameter (${known})` : i.message,
  }));
  throw invalid('query', [first!, ...more]);
}

/** No worker answered the query: what Temporal itself knows. */
function statusOfDescription(campaignId: string, description: WorkflowExecutionDescription) {
  return {
    campaignId,
    workflowId: description.workflowId,
    status: description.status.name === 'RUNNING' ? 'running' : description.status.name.toLowerCase(),
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { endedAt: description.closeTime.toISOString() } : {}),
    note: 'No worker answered the campaignStatus query: counts are shown once a worker is running.',
  };
}

/** Unknown id → 404; Temporal unreachable → 503; anything else is ours (500). */
function temporalErrors(campaignId: string) {
  return temporalHttpErrors('campaign', campaignId);
}

/** A spec as JSON (the API's usual body rules) or as YAML (`Content-Type: application/yaml`). */
function specBody(): RequestHandler {
  const json = jsonBody({ limit: BODY_LIMIT });
  const text = express.text({
    type: () => true,
    limit: BODY_LIMIT,
    verify: (_req, _res, buf) => {
      if (!isUtf8(buf)) throw new HttpError(400, 'INVALID_UTF8', 'Request body is not valid UTF-8');
    },
  });
  return (req, res, next) => {
    const mediaType = req.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
    if (req.method === 'GET' || req.method === 'HEAD' || !mediaType || !YAML_TYPES.includes(mediaType)) {
      return json(req, res, next);
    }
    const charset = /;\s*charset="?([^";]+)/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new UnsupportedMediaTypeError('YAML bodies must be UTF-8 (charset=utf-8)'));
    }
    text(req, res, (err?: unknown) => {
      if (err) return next(err);
      try {
        req.body = parseYaml(typeof req.body === 'string' ? req.body : '', { uniqueKeys: true }) as unknown;
        next();
      } catch (parseError) {
        next(
          new HttpError(
            400,
            'INVALID_YAML',
            `Request body is not valid YAML: ${(parseError as Error).message}`,
          ),
        );
      }
    });
  };
}
