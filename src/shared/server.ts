import type { RequestListener, Server } from 'node:http';
import { createServer } from 'node:http';
import type { Logger } from './logger';

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  /** How long in-flight requests may take to finish after SIGINT/SIGTERM before connections are cut. */
  graceMs?: number;
  /** Runs once the server has closed, before the process exits (e.g. exporting the last spans). */
  beforeExit?: () => Promise<void>;
}

/**
 * Listens on host:port and, on SIGINT/SIGTERM, stops accepting connections, lets in-flight requests
 * finish (up to `graceMs`), then exits. For process entry points; tests use the app directly.
 */
export async function serve(
  app: RequestListener,
  { host, port, logger, graceMs = 10_000, beforeExit }: ServeOptions,
) {
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ host, port }, 'listening');

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn({ graceMs }, 'grace period over; closing open connections');
      server.closeAllConnections();
    }, graceMs);
    force.unref();
    server.close((err) => {
      if (err) logger.error({ err }, 'error while closing the server');
      const exit = () => process.exit(err ? 1 : 0);
      if (!beforeExit) return exit();
      beforeExit()
        .catch((cause: unknown) => logger.warn({ err: cause }, 'shutdown step failed'))
        .finally(exit);
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return server;
}
