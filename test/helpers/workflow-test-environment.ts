import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { registerConversationSearchAttributes } from './search-attributes';
import { requireTool } from './tools';

/**
 * A workflow test's set-up: the time-skipping test server (the installed binary, nothing downloaded) and one
 * workflow bundle, built side by side, with our search attributes registered; logs at WARN.
 */
export async function startWorkflowTestEnvironment(): Promise<{
  env: TestWorkflowEnvironment;
  workflowBundle: WorkflowBundle;
}> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const [env, workflowBundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireTool('temporal-test-server') } },
    }),
    bundleWorkflowCode({ ...workflowBundling, logger: new DefaultLogger('WARN') }),
  ]);
  await registerConversationSearchAttributes(env.connection, env.namespace ?? 'default');
  return { env, workflowBundle };
}
