/**
 * The Conversation API: the process shell's Express app. It puts the features' routes (conversations, campaigns)
 * behind the service's probes, rate limit, bearer auth and body rules; `server.ts` starts it.
 */
import express from 'express';
import { campaignRoutes } from '../campaign/routes';
import type { EndpointCatalog } from '../models/endpoints';
import type { CampaignRoutesDeps } from '../campaign/routes';
import { estimateSettingsFromConfig } from '../campaign/estimate-settings';
import type { EstimateConfig } from '../campaign/estimate-settings';
import { HttpError } from '../contracts/errors';
import { conversationRoutes } from '../conversation/routes';
import type { ConversationRoutesDeps } from '../conversation/routes';
import { bearerAuth } from '../shared/auth';
import { openOutputStore, type OutputStoreConfig } from '../output/open-store';
import type { OutputStore } from '../output/store';
import type { Config } from '../shared/config';
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
import type { WorkflowClient } from '../shared/workflow-resource';
import { perClientRateLimit } from './guards';

export interface AppDeps {
  client: WorkflowClient;
  config: ConversationRoutesDeps['config'] &
    CampaignRoutesDeps['config'] &
    EstimateConfig &
    OutputStoreConfig &
    Pick<
      Config,
      'CONVERSATION_API_KEY' | 'CONVERSATION_API_RATE_LIMIT_PER_MINUTE' | 'CONVERSATION_API_TRUST_PROXY'
    >;
  logger: Logger;
  /** Unset: the store OUTPUT_URL or OUTPUT_DIR names. */
  store?: OutputStore;
  /** The model endpoints requests may name (MODEL_ENDPOINTS_FILE); unset: each side's default only. */
  endpoints?: EndpointCatalog;
}

const READY_TIMEOUT_MS = 3000;

/**
 * /health and /ready are open to all (probes); every other route is rate-limited per client, needs the bearer key
 * when CONVERSATION_API_KEY is set, and takes JSON bodies only, never from a browser on another site.
 */
export function createApp({ client, config, logger, store, endpoints }: AppDeps): express.Express {
  const outputStore = store ?? openOutputStore(config);
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
  app.use(
    '/campaigns',
    campaignRoutes({
      client,
      config,
      logger,
      estimate: estimateSettingsFromConfig(config),
      store: outputStore,
      ...(endpoints && { endpoints }),
    }),
  );
  app.use(refuseCrossSiteRequests(), jsonBody());

  app.get('/metrics', metrics.handler);
  app.use(
    conversationRoutes({ client, config, logger, store: outputStore, ...(endpoints && { endpoints }) }),
  );

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
