/**
 * The batcher's activities (see workflows/batcher/) over the Bedrock batch building blocks: submit a job of
 * staged turns, read its status, collect its answers, stop it. A refused request (validation, access, an unknown
 * job) is a non-retryable failure; throttling, quotas and outages are retried by Temporal.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { type CloudBatch } from '../../contracts/batch-spec';
import { BATCH_REQUEST_REJECTED } from '../../contracts/batcher';
import { isBatchServiceError } from '../../models/bedrock-batch/errors';
import type { BatchJobs, CollectedJob, JobState, SubmittedJob } from '../../models/bedrock-batch/jobs';
import { batchLayout, type TurnRef } from '../../models/bedrock-batch/layout';

export interface SubmitBatchJobInput {
  campaignId: string;
  cloudBatch: CloudBatch;
  modelId: string;
  turns: TurnRef[];
  submission: number;
}

export interface CollectBatchJobInput {
  campaignId: string;
  cloudBatch: CloudBatch;
  jobArn: string;
  modelId: string;
  turns: TurnRef[];
}

function failure(err: unknown): unknown {
  if (!isBatchServiceError(err)) return err;
  return ApplicationFailure.create({
    type: err.retryable ? 'BatchServiceUnavailable' : BATCH_REQUEST_REJECTED,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [{ code: err.code }],
    cause: err,
  });
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw failure(err);
  }
}

export function makeCloudBatchJobActivities(jobs: BatchJobs | undefined) {
  const configured = (): BatchJobs => {
    if (jobs) return jobs;
    throw ApplicationFailure.nonRetryable(
      'This worker has no batch mode configured (Bedrock and S3 clients)',
      BATCH_REQUEST_REJECTED,
    );
  };
  return {
    submitBatchJob({
      campaignId,
      cloudBatch,
      modelId,
      turns,
      submission,
    }: SubmitBatchJobInput): Promise<SubmittedJob> {
      return mapped(() =>
        configured().submitJob({
          layout: batchLayout(cloudBatch, campaignId),
          campaignId,
          modelId,
          roleArn: cloudBatch.roleArn,
          ...(cloudBatch.timeoutHours === undefined ? {} : { timeoutHours: cloudBatch.timeoutHours }),
          turns,
          submission,
        }),
      );
    },
    describeBatchJob(jobArn: string): Promise<JobState> {
      return mapped(() => configured().describeJob(jobArn));
    },
    collectBatchJob({
      campaignId,
      cloudBatch,
      jobArn,
      modelId,
      turns,
    }: CollectBatchJobInput): Promise<CollectedJob> {
      return mapped(() =>
        configured().collectJob({ layout: batchLayout(cloudBatch, campaignId), jobArn, modelId, turns }),
      );
    },
    stopBatchJob(jobArn: string): Promise<'stopping' | 'ended'> {
      return mapped(() => configured().stopJob(jobArn));
    },
  };
}

export type CloudBatchJobActivities = ReturnType<typeof makeCloudBatchJobActivities>;
