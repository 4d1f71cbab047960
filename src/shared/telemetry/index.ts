/**
 * OpenTelemetry tracing for one process, configured by the standard `OTEL_*` variables. Off unless
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and `OTEL_SDK_DISABLED` is not
 * `true`: then no OpenTelemetry module is loaded and nothing here costs more than a property lookup.
 */
import 'dotenv/config';

export { tracingActive } from './active';

export type { Telemetry } from './types';
import type { Telemetry } from './types';

/** Whether the environment asks for traces (the standard variables; `.env` is read too). */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts tracing for `serviceName` (`OTEL_SERVICE_NAME` wins) when the environment asks for it. Call it first in a
 * service's entry, before it starts servers or clients; the HTTP instrumentation patches node:http in place.
 */
export async function startTelemetry(serviceName: string): Promise<Telemetry | undefined> {
  if (!tracingRequested()) return undefined;
  const { startTracing } = await import('./sdk.js');
  return startTracing(serviceName);
}
