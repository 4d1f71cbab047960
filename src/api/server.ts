/** Conversation API entry: `POST /conversation` and friends on HTTP_HOST:CONVERSATION_API_PORT. */
import { Client, Connection } from '@temporalio/client';
import { ConfigError } from '../contracts/errors';
import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
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
  const app = createApp({ client, config, logger });

  const server = app.listen(config.CONVERSATION_API_PORT, config.HTTP_HOST, () => {
    logger.info({ host: config.HTTP_HOST, port: config.CONVERSATION_API_PORT }, 'conversation API listening');
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'conversation API could not listen');
    process.exit(1);
  });

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      connection
        .close()
        .catch((err: unknown) => logger.warn({ err }, 'closing the Temporal connection failed'))
        .then(() => telemetry?.shutdown())
        .catch((err: unknown) => logger.warn({ err }, 'exporting the last spans failed'))
        .finally(() => process.exit(0));
    });
    // `?wait=true` requests may hold connections open for the whole conversation.
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  // A configuration problem is the operator's to fix: its message, which names the variable, is the log line.
  const message = err instanceof ConfigError ? err.message : 'conversation API failed to start';
  createLogger('conversation-api').fatal({ err }, message);
  process.exit(1);
});
