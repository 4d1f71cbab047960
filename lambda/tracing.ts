/**
 * The handler continues the caller's trace from the event's `traceparent` (and `baggage`) header, which API Gateway
 * passes through like any other header. Tracing needs a registered tracer provider: the local gateway's, or an
 * OpenTelemetry Lambda layer's when deployed. Without one, this calls the handler body directly and loads nothing
 * (the API is bundled, but esbuild evaluates a module only when it is first imported).
 */
import { tracingActive } from '../src/shared/telemetry/active';
import { header } from './request';

type Headers = Record<string, string | undefined> | null | undefined;

export async function traceInvocation<T>(
  headers: Headers,
  invocationId: string | undefined,
  body: () => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return body();
  const api = await import('@opentelemetry/api');
  const parent = api.propagation.extract(api.ROOT_CONTEXT, headers ?? {}, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => header(carrier, key),
  });
  const attributes = {
    'faas.trigger': 'http',
    'cloud.provider': 'aws',
    'http.request.method': 'POST',
    'http.route': '/generate',
    ...(invocationId ? { 'faas.invocation_id': invocationId } : {}),
  };
  return api.trace
    .getTracer('llm-lambda')
    .startActiveSpan(
      'lambda POST /generate',
      { kind: api.SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          return await body();
        } finally {
          span.end();
        }
      },
    );
}
