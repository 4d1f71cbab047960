/** The batcher's activities, each with its timeouts and retry policy: every option of the workflow's calls is here. */
import { proxyActivities } from '@temporalio/workflow';
import { BATCH_REQUEST_REJECTED } from '../../../contracts/batcher';
import type { CloudBatchJobActivities } from '../activities';

export const { submitBatchJob, describeBatchJob, collectBatchJob } = proxyActivities<CloudBatchJobActivities>(
  {
    startToCloseTimeout: '10 minutes',
    scheduleToCloseTimeout: '2 hours',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: [BATCH_REQUEST_REJECTED],
    },
  },
);
export const { stopBatchJob } = proxyActivities<CloudBatchJobActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    nonRetryableErrorTypes: [BATCH_REQUEST_REJECTED],
  },
});
