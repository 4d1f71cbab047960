/**
 * The floor's worker process: the product worker's activities, clients and tuning (the same environment), on
 * its own task queue with the bench-only workflow bundle (BENCH_FLOOR_BUNDLE).
 */
import { NativeConnection } from '@temporalio/worker';
import { activitiesDepsFromConfig } from '../../src/worker/dependencies';
import { createWorker, installRuntime, workerTuningFromConfig } from '../../src/worker/worker';
import { sizeWorkflowHeap, workerMemoryPlan } from '../../src/worker/memory';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { FLOOR_TASK_QUEUE } from './task-queue';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('bench-floor-worker', config.LOG_LEVEL);
  installRuntime(config, logger);
  sizeWorkflowHeap(
    workerMemoryPlan(config.WORKER_EXPECTED_CONVERSATIONS, config.WORKER_MAX_CACHED_WORKFLOWS),
  );
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: FLOOR_TASK_QUEUE,
      activities: activitiesDepsFromConfig(config),
      tuning: workerTuningFromConfig(config),
      workflowBundle: { codePath: process.env.BENCH_FLOOR_BUNDLE! },
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
