/** The OpenTelemetry SDK behind startTelemetry: loaded only when tracing is on. */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResourcesSync, envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createRequire } from 'node:module';
import type { Telemetry } from './types';

/** Probes and scrapes: a span per health check would drown the conversations. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export interface TracingSdk extends Telemetry {
  /** What Temporal's workflow span exporter needs: workflow spans are made in the sandbox and exported here. */
  resource: Resource;
  spanProcessor: SpanProcessor;
}

let started: TracingSdk | undefined;

/**
 * A tracer provider with the OTLP/HTTP (protobuf) exporter, both configured by the standard variables
 * (endpoint, headers, sampler, batch sizes, resource attributes), and the node:http and fetch instrumentations,
 * which carry `traceparent` (and `baggage`) over every HTTP hop.
 */
export function startTracing(serviceName: string): TracingSdk {
  if (started) return started;
  const resource = new Resource({ 'service.name': serviceName }).merge(
    detectResourcesSync({ detectors: [envDetectorSync] }),
  );
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Propagators from OTEL_PROPAGATORS; the default, W3C trace context and baggage, is what every hop here reads.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(new URL(req.url ?? '/', 'http://x').pathname),
      }),
      new UndiciInstrumentation(),
    ],
  });
  // The instrumentation patches node:http on its next require; services imported it already, so require it now.
  const load = createRequire(__filename);
  load('http');
  load('https');
  started = {
    resource,
    spanProcessor,
    shutdown: () => provider.shutdown(),
  };
  return started;
}

/** The running SDK, for the Temporal worker's workflow span exporter. */
export function tracingSdk(): TracingSdk | undefined {
  return started;
}
