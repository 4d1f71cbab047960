import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { serve } from '../shared/server';
import { createApp } from './app';
import { createUpstreamClient } from './upstream-client';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('llm-service', config.LOG_LEVEL);
  const upstream = createUpstreamClient({
    baseUrl: config.API_GATEWAY_URL,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
  await serve(createApp({ upstream, logger }), {
    host: config.HTTP_HOST,
    port: config.LLM_SERVICE_PORT,
    logger,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
