import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../shared/config';

const connections = new Map<string, Promise<Connection>>();

/** A worker is ready once it polls its task queue, which is what Temporal itself reports. */
export async function workerPolling(config: Config): Promise<boolean> {
  const address = config.TEMPORAL_ADDRESS;
  if (!connections.has(address)) connections.set(address, Connection.connect({ address }));
  const connection = await connections.get(address)!.catch((err: unknown) => {
    connections.delete(address);
    throw err;
  });
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers.length > 0;
}

export async function closeTaskQueueProbe(): Promise<void> {
  const open = [...connections.values()];
  connections.clear();
  await Promise.all(open.map(async (c) => (await c.catch(() => undefined))?.close()));
}
