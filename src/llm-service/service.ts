import type { Express } from 'express';
import client from 'prom-client';
import type { Registry } from 'prom-client';
import { MIN_RETRY_BUDGET_MS } from '../contracts/deadline';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import { createApp } from './app';
import { createUpstreamMetrics } from './metrics';
import { createResilientUpstream } from './resilient-upstream';
import type { CircuitPolicy, ResilientUpstream } from './resilient-upstream';
import type { RetryPolicy } from './retry';
import { createUpstreamClient } from './upstream-client';

export interface LlmServiceOptions {
  /** `API_GATEWAY_URL`. */
  gatewayUrl: string;
  /** `UPSTREAM_TIMEOUT_MS`: a generate call's whole budget, retry included (a caller's deadline may shorten it). */
  timeoutMs: number;
  retry: RetryPolicy;
  circuit: CircuitPolicy;
  bodyLimitBytes: number;
  apiKey?: string;
  logger: Logger;
}

export interface LlmService {
  app: Express;
  upstream: ResilientUpstream;
  registry: Registry;
}

/** The REST service wired up: gateway client → retries and circuit breaker → Express app, one metrics registry. */
export function createLlmService(options: LlmServiceOptions): LlmService {
  const registry = new client.Registry();
  const upstream = createResilientUpstream(createUpstreamClient({ baseUrl: options.gatewayUrl }), {
    retry: options.retry,
    circuit: options.circuit,
    logger: options.logger,
    metrics: createUpstreamMetrics(registry),
  });
  const app = createApp({
    upstream,
    logger: options.logger,
    timeoutMs: options.timeoutMs,
    bodyLimit: options.bodyLimitBytes,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    registry,
  });
  return { app, upstream, registry };
}

export function llmServiceOptions(config: Config, logger: Logger): LlmServiceOptions {
  return {
    gatewayUrl: config.API_GATEWAY_URL,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    retry: {
      retries: config.UPSTREAM_RETRIES,
      baseMs: config.UPSTREAM_RETRY_BASE_MS,
      maxMs: config.UPSTREAM_RETRY_MAX_MS,
      minAttemptMs: MIN_RETRY_BUDGET_MS,
    },
    circuit: {
      errorThresholdPercent: config.CIRCUIT_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: config.CIRCUIT_VOLUME_THRESHOLD,
      windowMs: config.CIRCUIT_WINDOW_MS,
      resetMs: config.CIRCUIT_RESET_MS,
    },
    bodyLimitBytes: config.LLM_SERVICE_BODY_LIMIT_BYTES,
    ...(config.API_KEY ? { apiKey: config.API_KEY } : {}),
    logger,
  };
}
