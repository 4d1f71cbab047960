/** What the model-calling activities report about each call: trace baggage and span context, and metrics. */
import type { Info } from '@temporalio/activity';
import { campaignIdOf } from '../../contracts/campaign';
import { withConversationBaggage, type Side } from '../../shared/telemetry/model-call';
import type { TokenUsage } from '../../contracts/conversation';
import type { ConversationMetrics } from '../metrics';

export interface ObservedCall {
  side: Side;
  provider: string;
  /** The model endpoint called. */
  endpoint: string;
  /** The model asked for; unset: the one the answer names. */
  model?: string;
  turn?: number;
}

/**
 * Runs one model call with the conversation's identity (id, turn, side, campaign) in the trace baggage, which every
 * hop behind it reads onto its spans, and counts it in the worker's metrics, failures by their code.
 */
export async function observeModelCall<T extends { model: string; usage: TokenUsage }>(
  info: Info,
  metrics: ConversationMetrics | undefined,
  call: ObservedCall,
  fn: () => Promise<T>,
): Promise<T> {
  // Standalone activities have no workflow; ours always run in a conversation's.
  const conversationId = info.workflowExecution?.workflowId ?? info.activityId;
  const identity = {
    conversationId,
    side: call.side,
    turn: call.turn,
    campaignId: campaignIdOf(conversationId),
  };
  const started = performance.now();
  const observe = (outcome: string, model: string, usage?: TokenUsage) =>
    metrics?.observeModelCall({
      side: call.side,
      provider: call.provider,
      endpoint: call.endpoint,
      model,
      outcome,
      durationSeconds: (performance.now() - started) / 1000,
      usage,
    });
  try {
    const result = await withConversationBaggage(identity, fn);
    observe('ok', call.model ?? result.model, result.usage);
    return result;
  } catch (err) {
    observe(failureCode(err), call.model ?? 'default');
    throw err;
  }
}

function failureCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'Error';
}
