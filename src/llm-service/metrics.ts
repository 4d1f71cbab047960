import client from 'prom-client';
import type { Registry } from 'prom-client';

export const CIRCUIT_STATES = { closed: 0, halfOpen: 1, open: 2 } as const;
export type CircuitState = keyof typeof CIRCUIT_STATES;

/** What the REST service measures about its upstream (API Gateway → Lambda → model). */
export function createUpstreamMetrics(registry: Registry) {
  return {
    latency: new client.Histogram({
      name: 'llm_service_upstream_request_duration_seconds',
      help: 'Latency of each call to the API gateway (every attempt), by outcome (ok or the error code)',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    retries: new client.Counter({
      name: 'llm_service_upstream_retries_total',
      help: 'Calls to the API gateway sent again after a retryable failure, by the failure code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    circuitState: new client.Gauge({
      name: 'llm_service_upstream_circuit_state',
      help: 'Circuit breaker towards the API gateway: 0 closed, 1 half-open, 2 open',
      registers: [registry],
    }),
    circuitRejections: new client.Counter({
      name: 'llm_service_upstream_circuit_rejections_total',
      help: 'Requests answered 503 without calling the gateway because the circuit was open',
      registers: [registry],
    }),
  };
}

export type UpstreamMetrics = ReturnType<typeof createUpstreamMetrics>;
