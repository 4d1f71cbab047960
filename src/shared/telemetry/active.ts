/**
 * Whether some tracer provider is registered in this process: ours (startTelemetry), or one a Lambda layer put there
 * before the handler loaded. The OpenTelemetry API keeps its registrations under this global key, which it creates
 * only when something registers, so the check loads nothing. Kept apart from index.ts for the Lambda bundle.
 */
export function tracingActive(): boolean {
  return Symbol.for('opentelemetry.js.api.1') in globalThis;
}
