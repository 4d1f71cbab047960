/**
 * How the workflow code is bundled, the same everywhere: the worker (when it bundles at start), the prebuilt
 * bundle (scripts/bundle-workflows.ts), the tests and the replayer.
 */
export const workflowBundling = {
  workflowsPath: require.resolve('./workflows'),
  /**
   * Loaded once per worker thread and shared by every workflow, instead of once per workflow: the input module
   * and zod, which it imports, and the campaign spec's schema, built the same way. All are stateless (see
   * contracts/conversation-input.ts). Measured at 200 concurrent conversations: worker peak RSS 677 → 385 MB.
   */
  preloadModules: [
    require.resolve('../contracts/conversation-input'),
    require.resolve('../contracts/campaign-spec'),
  ],
  /** Tracing's workflow interceptors: inert unless a workflow's start carries a trace context. */
  workflowInterceptorModules: [require.resolve('../shared/telemetry/workflow-interceptors')],
};

/** The same, as the Worker and the replayer take it when they bundle the workflows themselves. */
export const workerWorkflowSource = {
  workflowsPath: workflowBundling.workflowsPath,
  bundlerOptions: { preloadModules: workflowBundling.preloadModules },
  interceptors: { workflowModules: workflowBundling.workflowInterceptorModules },
};
