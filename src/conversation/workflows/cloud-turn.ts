/**
 * A turn's cloud answer, behind one call: asked on demand, or, in a batch campaign, through the campaign's batcher.
 */
import { ApplicationFailure, condition, getExternalWorkflowHandle } from '@temporalio/workflow';
import { FailureType } from '../../contracts/conversation';
import { cloudBatchSignal, type CloudBatchMessage, type CloudBatchRoute } from '../../contracts/batcher';
import type { AskCloudInput, AskCloudOutput } from '../activities/types';
import { askCloud, onQueue, readCloudAnswer, stageCloudRequest } from './activities';
import type { ConversationRun } from './state';

/** The turn's batch job was stopped from outside: the conversation ends as cancelled, exporting what was said. */
export const STOPPED = Symbol('stopped');

/** Turn `n`'s cloud answer to `request`, on demand or in batch. */
export function cloudAnswer(
  run: ConversationRun,
  request: AskCloudInput,
  n: number,
): Promise<AskCloudOutput | typeof STOPPED> {
  return run.route ? inBatch(run, run.route, request, n) : onDemand(run, request, `turn ${n} · cloud`);
}

/** A cloud call asked at once; in a batch campaign marked so (its price is the on-demand one). */
export async function onDemand(
  run: ConversationRun,
  request: AskCloudInput,
  summary: string,
): Promise<AskCloudOutput> {
  const output = await askCloud.executeWithOptions(onQueue(run.queues.cloud, summary), [request]);
  return run.route ? { ...output, mode: 'on_demand' } : output;
}

export function tellBatcher(route: CloudBatchRoute, message: CloudBatchMessage): Promise<void> {
  return getExternalWorkflowHandle(route.batcherWorkflowId).signal(cloudBatchSignal, message);
}

/**
 * A batch turn: the request is staged in S3, the batcher is told, and the turn waits (durably, holding no worker
 * slot) for its answer: in a job's output, or "ask on demand" when a job would be too small or its attempts are
 * spent. The cloud latency recorded is the wait.
 */
async function inBatch(
  run: ConversationRun,
  route: CloudBatchRoute,
  request: AskCloudInput,
  n: number,
): Promise<AskCloudOutput | typeof STOPPED> {
  const { conversationId } = run.settings;
  const { batchAnswers } = run.state;
  const { modelId } = await stageCloudRequest.executeWithOptions({ summary: `turn ${n} · batch request` }, [
    { route, conversationId, request: { ...request, turn: n } },
  ]);
  const requestedAt = Date.now();
  await tellBatcher(route, { kind: 'request', conversationId, turn: n, modelId });
  await condition(() => batchAnswers.has(n));
  const answer = batchAnswers.get(n)!;
  batchAnswers.delete(n);
  switch (answer.kind) {
    case 'answered':
      return readCloudAnswer.executeWithOptions({ summary: `turn ${n} · batch answer` }, [
        { route, conversationId, turn: n, requestedAt, answeredAt: answer.receivedAt },
      ]);
    case 'onDemand':
      return onDemand(run, request, `turn ${n} · cloud (on demand)`);
    case 'failed':
      throw ApplicationFailure.nonRetryable(answer.message, FailureType.CloudRejected);
    case 'stopped':
      return STOPPED;
  }
}
