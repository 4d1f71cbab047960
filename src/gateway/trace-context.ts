import type { APIGatewayProxyEvent } from 'aws-lambda';
import { tracingActive } from '../shared/telemetry';

/**
 * Puts the gateway's own trace context (`traceparent`, `baggage`) into the event's headers in place of the caller's,
 * so the Lambda's span is the child of the gateway's request span, as it would be of API Gateway's own span.
 */
export async function forwardTraceContext(event: APIGatewayProxyEvent): Promise<void> {
  if (!tracingActive()) return;
  const { context, propagation } = await import('@opentelemetry/api');
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const [name, value] of Object.entries(carrier)) {
    for (const key of Object.keys(event.headers)) if (key.toLowerCase() === name) delete event.headers[key];
    const multi = event.multiValueHeaders;
    for (const key of Object.keys(multi)) if (key.toLowerCase() === name) delete multi[key];
    event.headers[name] = value;
    multi[name] = [value];
  }
}
