/**
 * The stack's trace backend when TRACING=jaeger: Jaeger v2 (built from its Go module by `npm run setup`) with
 * in-memory storage, OTLP in on JAEGER_OTLP_GRPC_PORT/JAEGER_OTLP_HTTP_PORT, the query API (and UI) on
 * JAEGER_UI_PORT. Its traces last as long as the process.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/config';
import { toolsBin } from './paths';
import { httpOk, type ComponentSpec } from './supervisor';

/** What points a service's OTLP exporter (HTTP, protobuf: the only protocol ours speaks) at the stack's Jaeger. */
export function otlpEnv(config: Config): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${config.JAEGER_OTLP_HTTP_PORT}` };
}

export function jaegerQueryUrl(config: Config): string {
  return `http://127.0.0.1:${config.JAEGER_UI_PORT}`;
}

/** Jaeger's configuration (an OpenTelemetry Collector's): every endpoint on loopback, on the configured ports. */
export function jaegerConfig(config: Config): string {
  const at = (port: number) => `127.0.0.1:${port}`;
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: ${at(config.JAEGER_UI_PORT)}
    grpc:
      endpoint: ${at(config.JAEGER_GRPC_PORT)}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${at(config.JAEGER_OTLP_GRPC_PORT)}
      http:
        endpoint: ${at(config.JAEGER_OTLP_HTTP_PORT)}
processors:
  batch: {}
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

export function jaegerSpec(config: Config, dataDir: string): ComponentSpec {
  const file = path.join(dataDir, 'jaeger.yaml');
  return {
    name: 'jaeger',
    command: path.join(toolsBin, 'jaeger'),
    args: ['--config', `file:${file}`],
    prepare: async () => writeFileSync(file, jaegerConfig(config)),
    ready: () => httpOk(`${jaegerQueryUrl(config)}/api/services`),
    readyTimeoutMs: 60_000,
  };
}
