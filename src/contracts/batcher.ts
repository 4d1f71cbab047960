import { defineSignal } from '@temporalio/workflow';

/**
 * The batcher's contract (`cloudBatchWorkflow`, one per batch campaign; its spec field is in batch-spec.ts). The
 * batcher and the conversations it serves talk by signals.
 * A conversation joins when it starts, asks for each turn's answer (its Converse request is staged in S3 first),
 * and leaves when it ends; the batcher answers each request once.
 */

export const CLOUD_BATCH_WORKFLOW_TYPE = 'cloudBatchWorkflow';

/** The failure type of a batch request Bedrock or S3 refused (validation, access, an unknown job): not retried. */
export const BATCH_REQUEST_REJECTED = 'BatchRequestRejected';

/** The batcher's workflow id: beside its campaign's. */
export function cloudBatchWorkflowId(campaignWorkflowId: string): string {
  return `${campaignWorkflowId}-cloud-batch`;
}

/** What a conversation in a batch campaign is given (internal: the conversation workflow's third argument). */
export interface CloudBatchRoute {
  batcherWorkflowId: string;
  /** The S3 folders of the campaign: requests are staged and answers read under them. */
  campaignId: string;
  inputS3Uri: string;
  outputS3Uri: string;
}

/** A conversation's message to the batcher. */
export type CloudBatchMessage =
  | { kind: 'join'; conversationId: string }
  | { kind: 'leave'; conversationId: string }
  | { kind: 'request'; conversationId: string; turn: number; modelId: string };

/** The batcher's answer to one request. */
export type CloudBatchAnswer =
  /** Answered in the job: the answer object is in S3 (see the models' bedrock-batch layout). */
  | { turn: number; kind: 'answered'; jobArn: string }
  /** Ask on demand: too few requests for a job, or the batch attempts are spent. */
  | { turn: number; kind: 'onDemand'; reason: string }
  /** Bedrock refused the request itself (a 4xx error line): the turn fails like a refused on-demand call. */
  | { turn: number; kind: 'failed'; message: string }
  /** Its job was stopped from outside (StopModelInvocationJob): the conversation ends as cancelled. */
  | { turn: number; kind: 'stopped'; jobArn: string };

export const cloudBatchSignal = defineSignal<[CloudBatchMessage]>('cloudBatch');
export const cloudBatchAnswerSignal = defineSignal<[CloudBatchAnswer]>('cloudBatchAnswer');
/** From the campaign: no conversation will join any more (`cancel`: stop the jobs in flight and end now). */
export const finishCloudBatchSignal = defineSignal<[{ cancel?: boolean }?]>('finishCloudBatch');
