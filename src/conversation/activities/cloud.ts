import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../definitions';
import { isUpstreamError } from '../../contracts/errors';
import { attemptTimeLeftMs } from './deadline';
import { withHeartbeats } from './heartbeat';
import { observeModelCall } from './observe';
import type { ConversationMetrics } from '../metrics';
import type { LlmServiceClient } from './llm-service-client';
import type { AskCloudInput, AskCloudOutput } from './types';

export interface CloudDeps {
  client: LlmServiceClient;
  /** Used when the conversation does not set cloud.maxTokens (config CLOUD_MAX_TOKENS). */
  maxTokens: number;
}

/**
 * The cloud model answers the last message of the window, through the LLM REST service. The call gets what is left
 * of this attempt (see attemptTimeLeftMs), which the service and every hop behind it shrink further, so a failure
 * comes back as the upstream's own retryable error in time for Temporal to retry the activity: Temporal owns the
 * retries across attempts.
 */
export function makeAskCloud({ client, maxTokens }: CloudDeps, metrics?: ConversationMetrics) {
  return async function askCloud(input: AskCloudInput): Promise<AskCloudOutput> {
    const started = Date.now();
    const context = Context.current();
    let result;
    try {
      result = await withHeartbeats(
        observeModelCall(
          context.info,
          metrics,
          { side: 'cloud', provider: 'llm-service', model: input.model, turn: input.turn },
          () =>
            client.generate(
              {
                messages: input.messages,
                system: input.system,
                maxTokens: input.maxTokens ?? maxTokens,
                temperature: input.temperature,
                model: input.model,
              },
              {
                signal: context.cancellationSignal,
                timeoutMs: attemptTimeLeftMs(context.info, started),
              },
            ),
        ),
      );
    } catch (err) {
      throw toFailure(err);
    }
    const response = result.response.trim();
    if (response === '') {
      // Retried: an empty cell in a dataset is worse than a failed turn, and sampling may differ next time.
      throw ApplicationFailure.retryable('Cloud model returned an empty answer', FailureType.EmptyOutput);
    }
    return {
      response,
      model: result.model,
      usage: result.usage,
      latencyMs: result.latencyMs,
      requestId: result.requestId,
      startedAt: new Date(started).toISOString(),
    };
  };
}

function toFailure(err: unknown): unknown {
  if (!isUpstreamError(err)) return err;
  const upstream = err;
  return ApplicationFailure.create({
    type: upstream.retryable ? FailureType.CloudUnavailable : FailureType.CloudRejected,
    message: `${upstream.code}: ${upstream.message}`,
    nonRetryable: !upstream.retryable,
    details: [{ statusCode: upstream.statusCode, code: upstream.code }],
    cause: upstream,
  });
}
