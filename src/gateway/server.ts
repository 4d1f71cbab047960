// Load the service config (and .env) before the handler module reads the Lambda's environment at import.
import { loadConfig } from '../shared/config';
import './lambda-log-level';
import { createLogger } from '../shared/logger';
import { serve } from '../shared/server';
import { startTelemetry } from '../shared/telemetry';
import { handler } from '../../lambda/handler';
import { createGatewayApp } from './app';

async function main(): Promise<void> {
  // The Lambda handler runs in this process: its spans are exported with the gateway's (see lambda/tracing.ts).
  const telemetry = await startTelemetry('gateway');
  const config = loadConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL);
  // The integration timeout is API Gateway's 29 s cap (createGatewayApp's default), shortened by callers' deadlines.
  const app = createGatewayApp({ handler, logger });
  await serve(app, {
    host: config.HTTP_HOST,
    port: config.GATEWAY_PORT,
    logger,
    beforeExit: telemetry?.shutdown,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
