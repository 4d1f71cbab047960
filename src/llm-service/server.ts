import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { serve } from '../shared/server';
import { startTelemetry } from '../shared/telemetry';
import { createLlmService, llmServiceOptions } from './service';

async function main(): Promise<void> {
  const telemetry = await startTelemetry('llm-service');
  const config = loadConfig();
  const logger = createLogger('llm-service', config.LOG_LEVEL);
  const { app } = createLlmService(llmServiceOptions(config, logger));
  await serve(app, {
    host: config.HTTP_HOST,
    port: config.LLM_SERVICE_PORT,
    logger,
    beforeExit: telemetry?.shutdown,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
