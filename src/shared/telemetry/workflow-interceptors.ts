/**
 * Temporal's OpenTelemetry workflow interceptors, always in the workflow bundle but active only for a workflow whose
 * start carried a trace context (a client with tracing on). Any other workflow runs as without them: their module is
 * not even evaluated, and no span or sink call is made. Not a workflow: `workflowInterceptorModules` loads it.
 */
import type {
  ActivityInput,
  ContinueAsNewInput,
  DisposeInput,
  LocalActivityInput,
  Next,
  QueryInput,
  SignalInput,
  StartChildWorkflowExecutionInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';

/** The header Temporal's OpenTelemetry client interceptor writes the trace context into. */
const TRACE_HEADER = '_tracer-data';

interface Delegates {
  inbound: WorkflowInboundCallsInterceptor;
  outbound: WorkflowOutboundCallsInterceptor;
  internals: WorkflowInternalsInterceptor;
}

function loadDelegates(): Delegates {
  // Loaded on first use: the module sets browser-like globals in the sandbox that untraced workflows need not see.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;
  return {
    inbound: new otel.OpenTelemetryInboundInterceptor(),
    outbound: new otel.OpenTelemetryOutboundInterceptor(),
    internals: new otel.OpenTelemetryInternalsInterceptor(),
  };
}

export const interceptors = (): WorkflowInterceptors => {
  let traced: Delegates | undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
      if (input.headers[TRACE_HEADER] === undefined) return next(input);
      traced = loadDelegates();
      return traced.inbound.execute!(input, next);
    },
    handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) {
      return traced ? traced.inbound.handleSignal!(input, next) : next(input);
    },
    handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>) {
      return traced ? traced.inbound.handleQuery!(input, next) : next(input);
    },
  };

  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
      return traced ? traced.outbound.scheduleActivity!(input, next) : next(input);
    },
    scheduleLocalActivity(
      input: LocalActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
    ) {
      // The transcript's export, and the provider queues' look-up.
      return traced ? traced.outbound.scheduleLocalActivity!(input, next) : next(input);
    },
    startChildWorkflowExecution(
      input: StartChildWorkflowExecutionInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
    ) {
      return traced ? traced.outbound.startChildWorkflowExecution!(input, next) : next(input);
    },
    continueAsNew(input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) {
      return traced ? traced.outbound.continueAsNew!(input, next) : next(input);
    },
  };

  const internals: WorkflowInternalsInterceptor = {
    dispose(input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>) {
      return traced ? traced.internals.dispose!(input, next) : next(input);
    },
  };

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
