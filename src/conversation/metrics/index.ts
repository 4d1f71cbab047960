/**
 * What the worker measures about conversations and model calls, in Prometheus form on its own registry (served on
 * CONVERSATION_METRICS_ADDRESS: the Temporal SDK's metrics come from its Rust core, whose endpoint we cannot add to).
 * Names follow the OpenTelemetry GenAI metrics where they exist (`gen_ai.client.token.usage`,
 * `gen_ai.client.operation.duration`, dots as underscores) and Prometheus conventions otherwise.
 */
import client from 'prom-client';
import type { Registry } from 'prom-client';
import type { EndReason } from '../../contracts/conversation';
import { priceCall, type ModelPrices } from '../../models/prices';
import type { ReplicaStats } from '../../models/replicas';
import { serveMetrics } from '../../shared/metrics-server';

/** The GenAI conventions' advised buckets. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TURN_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320];

export type Side = 'cloud' | 'local';

export interface ModelCallObservation {
  side: Side;
  /** `ollama` for the local side; `llm-service` for the cloud side (behind it: the Lambda's MODEL_PROVIDER). */
  provider: string;
  /** The model endpoint called (MODEL_ENDPOINTS_FILE; `cloud` or `local`, each side's default). */
  endpoint: string;
  /** The model asked for (the response's when the request left it to the default). */
  model: string;
  /** `ok`, or the failure's code. */
  outcome: string;
  durationSeconds: number;
  usage?: { inputTokens: number; outputTokens: number };
}

export interface ConversationMetrics {
  registry: Registry;
  observeModelCall(call: ModelCallObservation): void;
  /** When a conversation's transcript is exported: its end reason and each turn's wall time. */
  observeConversation(endReason: EndReason, turnDurationsMs: number[]): void;
  /** Serves the calls, errors, calls in flight and ejection of each replica of these endpoints. */
  watchReplicas(endpoints: readonly { endpoint: string; stats: () => ReplicaStats[] }[]): void;
}

export function createConversationMetrics(registry: Registry, prices?: ModelPrices): ConversationMetrics {
  const calls = new client.Counter({
    name: 'llm_model_calls_total',
    help: 'Model calls by side, endpoint, provider, model and outcome (ok or the failure code)',
    labelNames: ['side', 'endpoint', 'provider', 'model', 'outcome'] as const,
    registers: [registry],
  });
  const tokens = new client.Histogram({
    name: 'gen_ai_client_token_usage',
    help: 'Tokens per model call (gen_ai.client.token.usage), by token type (input, output) and model',
    labelNames: [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_response_model',
      'gen_ai_token_type',
      'side',
      'endpoint',
    ] as const,
    buckets: TOKEN_BUCKETS,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'Duration of each model call as the worker sees it (gen_ai.client.operation.duration)',
    labelNames: [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'side',
      'endpoint',
      'error_type',
    ] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const cost = prices
    ? new client.Counter({
        name: 'llm_model_cost_usd_total',
        help: 'What the model calls cost in USD, from MODEL_PRICES_FILE (models without a price are not counted)',
        labelNames: ['side', 'endpoint', 'model'] as const,
        registers: [registry],
      })
    : undefined;
  const turns = new client.Histogram({
    name: 'llm_conversation_turn_duration_seconds',
    help: 'Wall time of each turn (cloud answer, then local question) of the conversations exported',
    buckets: TURN_BUCKETS,
    registers: [registry],
  });
  const conversations = new client.Counter({
    name: 'llm_conversations_total',
    help: 'Conversations exported, by end reason',
    labelNames: ['end_reason'] as const,
    registers: [registry],
  });

  const watched: { endpoint: string; stats: () => ReplicaStats[] }[] = [];
  const replicaGauge = (name: string, help: string, value: (s: ReplicaStats) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['endpoint', 'replica'] as const,
      registers: [registry],
      collect() {
        for (const { endpoint, stats } of watched) {
          for (const s of stats()) this.set({ endpoint, replica: String(s.index) }, value(s));
        }
      },
    });
  replicaGauge(
    'llm_endpoint_replica_calls',
    'Calls sent to each replica of an endpoint (its position in baseUrls), since the worker started',
    (s) => s.calls,
  );
  replicaGauge(
    'llm_endpoint_replica_errors',
    'Calls a replica failed as a server (no connection, timeout, 5xx, 429), since the worker started',
    (s) => s.errors,
  );
  replicaGauge('llm_endpoint_replica_in_flight', 'Calls in flight at each replica', (s) => s.inFlight);
  replicaGauge(
    'llm_endpoint_replica_ejected',
    '1 while a replica is ejected for failing calls in a row (docs/production.md)',
    (s) => (s.ejected ? 1 : 0),
  );

  return {
    registry,
    watchReplicas(endpoints) {
      watched.push(...endpoints);
    },
    observeModelCall({ side, provider, endpoint, model, outcome, durationSeconds, usage }) {
      calls.inc({ side, endpoint, provider, model, outcome });
      duration.observe(
        {
          gen_ai_operation_name: 'chat',
          gen_ai_provider_name: provider,
          gen_ai_request_model: model,
          side,
          endpoint,
          error_type: outcome === 'ok' ? '' : outcome,
        },
        durationSeconds,
      );
      if (!usage) return;
      const base = {
        gen_ai_operation_name: 'chat',
        gen_ai_provider_name: provider,
        gen_ai_response_model: model,
        side,
        endpoint,
      };
      tokens.observe({ ...base, gen_ai_token_type: 'input' }, usage.inputTokens);
      tokens.observe({ ...base, gen_ai_token_type: 'output' }, usage.outputTokens);
      const priced = prices && priceCall(prices, model, usage);
      if (priced?.priced) cost?.inc({ side, endpoint, model }, priced.costUsd);
    },
    observeConversation(endReason, turnDurationsMs) {
      conversations.inc({ end_reason: endReason });
      for (const ms of turnDurationsMs) turns.observe(ms / 1000);
    },
  };
}

/**
 * The worker's metrics, served on `address` (CONVERSATION_METRICS_ADDRESS; empty: counted nowhere, not served).
 * `prices`: the worker's MODEL_PRICES_FILE table, when one is set.
 */
export async function startConversationMetrics(
  address: string,
  prices?: ModelPrices,
): Promise<ConversationMetrics | undefined> {
  if (!address) return undefined;
  const metrics = createConversationMetrics(new client.Registry(), prices);
  await serveMetrics(metrics.registry, address);
  return metrics;
}
