import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../shared/config';
import { currentBuildId } from '../worker/deployment';

const connections = new Map<string, Promise<Connection>>();

/**
 * A worker is ready once it polls its task queues, which is what Temporal itself reports: the main queue for
 * workflows, and each provider queue for the model calls; with `buildId`, a worker of that build.
 */
export async function workerPolling(config: Config, buildId?: string): Promise<boolean> {
  const address = config.TEMPORAL_ADDRESS;
  if (!connections.has(address)) connections.set(address, Connection.connect({ address }));
  const connection = await connections.get(address)!.catch((err: unknown) => {
    connections.delete(address);
    throw err;
  });
  const { TaskQueueType } = temporal.api.enums.v1;
  const polled = await Promise.all(
    [
      [config.TEMPORAL_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW] as const,
      [config.TEMPORAL_CLOUD_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY] as const,
      [config.TEMPORAL_LOCAL_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY] as const,
    ].map(async ([name, taskQueueType]) => {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: { name },
        taskQueueType,
      });
      return pollers.some((p) => buildId === undefined || p.deploymentOptions?.buildId === buildId);
    }),
  );
  return polled.every(Boolean);
}

/**
 * A worker that makes its build current is ready once it polls and the server routes new workflows to its build:
 * before that, a workflow started on the task queue would wait for a current version.
 */
export async function workerCurrent(config: Config, buildId: string): Promise<boolean> {
  if (!(await workerPolling(config, buildId))) return false;
  const connection = await connections.get(config.TEMPORAL_ADDRESS)!;
  return (
    (await currentBuildId(connection, config.TEMPORAL_NAMESPACE, config.WORKER_DEPLOYMENT_NAME)) === buildId
  );
}

export async function closeTaskQueueProbe(): Promise<void> {
  const open = [...connections.values()];
  connections.clear();
  await Promise.all(open.map(async (c) => (await c.catch(() => undefined))?.close()));
}
