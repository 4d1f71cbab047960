import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../../src/shared/config';

let connection: Connection | undefined;

/** A worker is ready once it polls its task queue, which is what Temporal itself reports. */
export async function workerPolling(config: Config): Promise<boolean> {
  connection ??= await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers.length > 0;
}

export async function closeTaskQueueProbe(): Promise<void> {
  await connection?.close();
  connection = undefined;
}
