/** Conversation API entry: `POST /conversation`, `POST /campaigns` and friends on HTTP_HOST:CONVERSATION_API_PORT. */
import { Client, Connection } from '@temporalio/client';
import { ConfigError } from '../contracts/errors';
import { loadModelEndpoints } from '../models/endpoints';
import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { serve } from '../shared/server';
import { startTelemetry } from '../shared/telemetry/index';
import { clientTracingInterceptors } from '../shared/telemetry/temporal';
import { createApp } from './app';
import { assertSafeExposure } from './guards';

async function main(): Promise<void> {
  const telemetry = await startTelemetry('conversation-api');
  const config = loadConfig();
  // Before anything listens: no open, keyless API on a reachable interface.
  assertSafeExposure(config);
  const logger = createLogger('conversation-api', config.LOG_LEVEL);
  // Lazy: the API starts even while Temporal is still coming up; /ready tells when it is reachable.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    interceptors: await clientTracingInterceptors(),
  });
  // Read at start: a bad MODEL_ENDPOINTS_FILE stops the API as it stops the worker.
  const endpoints = loadModelEndpoints(config, config.MODEL_ENDPOINTS_FILE);
  await serve(createApp({ client, config, logger, endpoints }), {
    host: config.HTTP_HOST,
    port: config.CONVERSATION_API_PORT,
    logger,
    // `?wait=true` requests may hold connections open for the whole conversation.
    graceMs: 10_000,
    beforeExit: async () => {
      await connection
        .close()
        .catch((err: unknown) => logger.warn({ err }, 'closing the Temporal connection failed'));
      await telemetry?.shutdown();
    },
  });
}

main().catch((err: unknown) => {
  // A configuration problem is the operator's to fix: its message, which names the variable, is the log line.
  const message = err instanceof ConfigError ? err.message : 'conversation API failed to start';
  createLogger('conversation-api').fatal({ err }, message);
  process.exit(1);
});
