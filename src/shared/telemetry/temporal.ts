/**
 * Temporal's OpenTelemetry interceptors for our clients and worker, so a conversation's workflow and activity spans
 * join the trace of the request that started it. With tracing off nothing is loaded.
 */
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { tracingActive } from './index';

/** For `new Client({ interceptors })`: starting, signalling and querying a workflow carry the trace context. */
export async function clientTracingInterceptors(): Promise<ClientInterceptors | undefined> {
  if (!tracingActive()) return undefined;
  const { OpenTelemetryWorkflowClientInterceptor } =
    await import('@temporalio/interceptors-opentelemetry/lib/client/index.js');
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

export interface WorkerTracing {
  activity: NonNullable<WorkerInterceptors['activity']>;
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

/**
 * The activity interceptors (a span per activity attempt, child of the workflow's StartActivity span) and the sink
 * that exports the spans the workflow interceptors make in the sandbox. With tracing off: no interceptor, and an
 * `exporter` sink that drops what a workflow started by a traced client would send.
 */
export async function workerTracing(): Promise<WorkerTracing> {
  const { tracingSdk } = tracingActive() ? await import('./sdk.js') : { tracingSdk: () => undefined };
  const sdk = tracingSdk();
  if (!sdk) return { activity: [], sinks: { exporter: { export: { fn: () => undefined } } } };
  const worker = await import('@temporalio/interceptors-opentelemetry/lib/worker/index.js');
  return {
    activity: [
      (ctx) => ({
        inbound: new worker.OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new worker.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: worker.makeWorkflowExporter(sdk.spanProcessor, sdk.resource) },
  };
}
