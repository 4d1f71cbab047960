/**
 * A conversation's two steps of a batch turn (see CloudBatchRoute): stage the turn's Converse request where its
 * campaign's batcher picks it up, and read the answer once the batcher says it is there. The request is the one
 * askCloud would send on demand, built the same way (src/models/converse-request.ts).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CloudBatchRoute } from '../../contracts/batcher';
import { FailureType } from '../../contracts/conversation';
import { isBatchServiceError } from '../../models/bedrock-batch/errors';
import type { BatchJobs } from '../../models/bedrock-batch/jobs';
import { batchLayout } from '../../models/bedrock-batch/layout';
import { converseRequestBody } from '../../models/converse-request';
import { priceCall, type ModelPrices } from '../../models/prices';
import type { AskCloudInput, AskCloudOutput } from './types';

export interface CloudBatchDeps {
  jobs: Pick<BatchJobs, 'stageRequest' | 'readAnswer'>;
  /** The Bedrock model of a turn whose conversation names none (the Lambda's BEDROCK_MODEL_ID). */
  defaultModelId: string;
  /** Used when the conversation does not set cloud.maxTokens (config CLOUD_MAX_TOKENS), as on demand. */
  maxTokens: number;
  prices?: ModelPrices;
}

export interface StageCloudRequestInput {
  route: CloudBatchRoute;
  conversationId: string;
  request: AskCloudInput & { turn: number };
}

export interface ReadCloudAnswerInput {
  route: CloudBatchRoute;
  conversationId: string;
  turn: number;
  /** Workflow times (epoch ms): when the turn asked the batcher, and when the answer came. */
  requestedAt: number;
  answeredAt: number;
}

/** Not configured in this worker: permanent for this worker, so the conversation fails rather than spins. */
function notConfigured(): never {
  throw ApplicationFailure.nonRetryable(
    'This worker has no batch mode configured (Bedrock and S3 clients)',
    FailureType.CloudRejected,
  );
}

function failure(err: unknown): unknown {
  if (!isBatchServiceError(err)) return err;
  return ApplicationFailure.create({
    type: err.retryable ? FailureType.CloudUnavailable : FailureType.CloudRejected,
    message: err.message,
    nonRetryable: !err.retryable,
    cause: err,
  });
}

export function makeCloudBatchActivities(deps: CloudBatchDeps | undefined) {
  return {
    async stageCloudRequest({
      route,
      conversationId,
      request,
    }: StageCloudRequestInput): Promise<{ modelId: string }> {
      if (!deps) notConfigured();
      const modelId = request.model ?? deps.defaultModelId;
      const modelInput = converseRequestBody({
        messages: request.messages,
        ...(request.system ? { system: request.system } : {}),
        maxTokens: request.maxTokens ?? deps.maxTokens,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      });
      try {
        await deps.jobs.stageRequest(
          batchLayout(route, route.campaignId),
          { conversationId, turn: request.turn },
          {
            modelId,
            modelInput,
          },
        );
      } catch (err) {
        throw failure(err);
      }
      return { modelId };
    },

    async readCloudAnswer({
      route,
      conversationId,
      turn,
      requestedAt,
      answeredAt,
    }: ReadCloudAnswerInput): Promise<AskCloudOutput> {
      if (!deps) notConfigured();
      let answer;
      try {
        answer = await deps.jobs.readAnswer(batchLayout(route, route.campaignId), { conversationId, turn });
      } catch (err) {
        throw failure(err);
      }
      const usage = { inputTokens: answer.inputTokens, outputTokens: answer.outputTokens };
      const prices = deps.prices ?? {};
      return {
        response: answer.text,
        model: answer.modelId,
        usage,
        ...priceCall(prices, answer.modelId, usage, 'batch'),
        latencyMs: Math.max(0, answeredAt - requestedAt),
        requestId: `${answer.jobArn}#${answer.recordId}`,
        startedAt: new Date(requestedAt).toISOString(),
        mode: 'batch',
        onDemandCostUsd: priceCall(prices, answer.modelId, usage).costUsd,
      };
    },
  };
}
