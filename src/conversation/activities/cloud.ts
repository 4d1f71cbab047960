import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../../contracts/conversation';
import { isUpstreamError } from '../../contracts/errors';
import { DEFAULT_ENDPOINTS } from '../../contracts/limits';
import { priceCall, type ModelPrices } from '../../models/prices';
import { callRequestId, routeKey } from './call-id';
import { attemptTimeLeftMs } from '../../shared/activity/deadline';
import { withHeartbeats } from '../../shared/activity/heartbeat';
import { upstreamFailure } from '../../shared/activity/upstream-failure';
import { observeModelCall } from './observe';
import type { ConversationMetrics } from '../metrics';
import type { LlmServiceClient } from './llm-service-client';
import { estimateTokens, type TokenBucket } from './token-bucket';
import type { AskCloudInput, AskCloudOutput } from './types';

export interface CloudDeps {
  /** The LLM REST service's client, or one of the same shape over another server (see openAiAnswerClient). */
  client: LlmServiceClient;
  /** For metrics and traces: `llm-service` (the Lambda path, the default), `openai`. */
  provider?: string;
  /** The endpoint these calls go to, for metrics; unset: the cloud side's default. */
  endpoint?: string;
  /** Used when the conversation does not set cloud.maxTokens (config CLOUD_MAX_TOKENS). */
  maxTokens: number;
  /** The endpoint's context window (`contextTokens`); unset: DEFAULT_CONTEXT_TOKENS. */
  contextTokens?: number;
  /** MODEL_PRICES_FILE; unset: every model unpriced. */
  prices?: ModelPrices;
  /** CLOUD_MAX_TOKENS_PER_MINUTE; unset: no such budget. */
  tokensPerMinute?: TokenBucket;
}

/**
 * The least time a call should still have once it has waited for the tokens-per-minute budget: below it, the
 * attempt gives its slot back and is retried after the wait instead (see reserveTokens).
 */
const MIN_CALL_MS = 15_000;

/**
 * The cloud model answers the last message of the window, through the LLM REST service. The call gets what is left
 * of this attempt (see attemptTimeLeftMs), which the service and every hop behind it shrink further, so a failure
 * comes back as the upstream's own retryable error in time for Temporal to retry the activity: Temporal owns the
 * retries across attempts.
 */
export function makeAskCloud(
  {
    client,
    provider = 'llm-service',
    endpoint = DEFAULT_ENDPOINTS.cloud,
    maxTokens,
    prices = {},
    tokensPerMinute,
  }: CloudDeps,
  metrics?: ConversationMetrics,
) {
  return async function askCloud(input: AskCloudInput): Promise<AskCloudOutput> {
    const started = Date.now();
    const context = Context.current();
    const callMaxTokens = input.maxTokens ?? maxTokens;
    let replica: number | undefined;
    if (tokensPerMinute) await reserveTokens(tokensPerMinute, input, callMaxTokens, started);
    let result;
    try {
      result = await withHeartbeats(
        observeModelCall(
          context.info,
          metrics,
          { side: 'cloud', provider, endpoint, model: input.model, turn: input.turn },
          () =>
            client.generate(
              {
                messages: input.messages,
                system: input.system,
                maxTokens: callMaxTokens,
                temperature: input.temperature,
                model: input.model,
              },
              {
                signal: context.cancellationSignal,
                timeoutMs: attemptTimeLeftMs(context.info, started),
                requestId: callRequestId(context.info),
                routeKey: routeKey(context.info, 'cloud'),
                onReplica: (index) => (replica = index),
              },
            ),
        ),
      );
    } catch (err) {
      throw cloudFailure(err);
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
      ...priceCall(prices, result.model, result.usage),
      latencyMs: result.latencyMs,
      requestId: result.requestId,
      startedAt: new Date(started).toISOString(),
      ...(replica !== undefined && { replica }),
    };
  };
}

/**
 * Waits (heartbeating, in this activity slot, so the cloud queue's concurrency cap still counts the call) until
 * the budget has room for the call. A wait that would leave the call less than MIN_CALL_MS of its attempt gives
 * the tokens and the slot back and fails retryably with `nextRetryDelay` set to the wait: Temporal holds the turn
 * without a worker slot and schedules it again then.
 */
async function reserveTokens(
  bucket: TokenBucket,
  input: AskCloudInput,
  callMaxTokens: number,
  started: number,
): Promise<void> {
  const context = Context.current();
  const reservation = bucket.reserve(
    estimateTokens([input.system, ...input.messages.map((m) => m.content)]) + callMaxTokens,
  );
  if (reservation.waitMs === 0) return;
  if (reservation.waitMs > attemptTimeLeftMs(context.info, started) - MIN_CALL_MS) {
    reservation.cancel();
    throw ApplicationFailure.create({
      type: FailureType.CloudThrottled,
      message: `CLOUD_MAX_TOKENS_PER_MINUTE reached: retrying in ${reservation.waitMs} ms`,
      nextRetryDelay: reservation.waitMs,
    });
  }
  try {
    await withHeartbeats(context.sleep(reservation.waitMs));
  } catch (err) {
    reservation.cancel();
    throw err;
  }
}

/** An LLM service error as the activity failure Temporal retries (or not); shared with the campaign judge. */
export function cloudFailure(err: unknown): unknown {
  if (!isUpstreamError(err)) return err;
  return upstreamFailure(err, {
    unavailable: FailureType.CloudUnavailable,
    rejected: FailureType.CloudRejected,
  });
}
