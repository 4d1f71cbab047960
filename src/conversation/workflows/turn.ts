/**
 * What one turn sends to each model and what it records: pure functions shared by the conversation workflow and
 * the benchmark's baselines (the Temporal floor workflow and the plain loop), so all three do the same work.
 */
import type { ChatMessage } from '../../contracts/chat';
import type { CallCost, ConversationInput, TokenUsage, Turn } from '../../contracts/conversation';
import {
  DEFAULT_CLOUD_MAX_TOKENS,
  DEFAULT_CONTEXT_TOKENS,
  DEFAULT_LOCAL_MAX_TOKENS,
} from '../../contracts/limits';
import { cloudContextStart, localContextStart } from './context-window';
import type {
  AskCloudInput,
  AskCloudOutput,
  AskLocalInput,
  AskLocalOutput,
  ChosenEndpoints,
  ConversationContext,
  LocalResample,
  SideContext,
} from '../activities/types';
import type { ResampleSampling } from './novelty';

type ModelSettings = Pick<ConversationInput, 'cloud' | 'local'>;

/** Each side's window where the worker has not said (see providerTaskQueues): the defaults'. */
export const DEFAULT_CONTEXT: ConversationContext = {
  cloud: { contextTokens: DEFAULT_CONTEXT_TOKENS, maxTokens: DEFAULT_CLOUD_MAX_TOKENS },
  local: { contextTokens: DEFAULT_CONTEXT_TOKENS, maxTokens: DEFAULT_LOCAL_MAX_TOKENS },
};

/** The cloud call answering `query`: the conversation so far as its context window keeps it, then the query. */
export function cloudRequest(
  settings: ModelSettings,
  turns: readonly Turn[],
  query: string,
  context: SideContext = DEFAULT_CONTEXT.cloud,
): AskCloudInput {
  const kept = turns.slice(cloudContextStart(settings, context, turns, query));
  return {
    messages: [...historyMessages(kept), { role: 'user', content: query }],
    system: settings.cloud?.systemPrompt,
    temperature: settings.cloud?.temperature,
    model: settings.cloud?.model,
    maxTokens: settings.cloud?.maxTokens,
    turn: turns.length + 1,
    ...(settings.cloud?.endpoint && { endpoint: settings.cloud.endpoint }),
  };
}

/**
 * The local call following up on `answer` to `query` in turn `turn`, after the `earlier` turns: those its context
 * window keeps go along as the history.
 */
export function localRequest(
  settings: ModelSettings,
  query: string,
  answer: string,
  turn: number,
  earlier: readonly Turn[] = [],
  context: SideContext = DEFAULT_CONTEXT.local,
): AskLocalInput {
  const kept = earlier.slice(localContextStart(settings, context, earlier, query, answer));
  return {
    ...(kept.length > 0 && { history: kept.map((t) => ({ question: t.query, answer: t.cloudResponse })) }),
    question: query,
    answer,
    model: settings.local?.model,
    systemPrompt: settings.local?.systemPrompt,
    temperature: settings.local?.temperature,
    maxTokens: settings.local?.maxTokens,
    questionTemplate: settings.local?.questionTemplate,
    turn,
    ...(settings.local?.endpoint && { endpoint: settings.local.endpoint }),
  };
}

/** The endpoints a conversation names, if it names any (see providerTaskQueues). */
export function chosenEndpoints(settings: ModelSettings): ChosenEndpoints | undefined {
  const cloud = settings.cloud?.endpoint;
  const local = settings.local?.endpoint;
  if (cloud === undefined && local === undefined) return undefined;
  return { ...(cloud !== undefined && { cloud }), ...(local !== undefined && { local }) };
}

/**
 * Said to the cloud model when the novelty guard refused its answer: after the query it answers, at the very end of
 * the prompt, so that everything before it is the prompt the model server has cached (the system prompt stays).
 */
export const NEW_ANSWER_NOTE =
  'Say something that has not been said before in the conversation, in other words.';

/** The cloud call again, warmer, with NEW_ANSWER_NOTE after the query. */
export function cloudResampleRequest(
  settings: ModelSettings,
  turns: readonly Turn[],
  query: string,
  sampling: ResampleSampling,
  context: SideContext = DEFAULT_CONTEXT.cloud,
): AskCloudInput {
  const request = cloudRequest(settings, turns, query, context);
  return {
    ...request,
    messages: [
      ...request.messages.slice(0, -1),
      { role: 'user', content: `${query}\n\n(${NEW_ANSWER_NOTE})` },
    ],
    temperature: sampling.temperature,
  };
}

/** The local call again, warmer, with its own seed and the questions asked so far. */
export function localResampleRequest(
  settings: ModelSettings,
  query: string,
  answer: string,
  turn: number,
  sampling: ResampleSampling,
  resample: Omit<LocalResample, 'seed'>,
  earlier: readonly Turn[] = [],
  context: SideContext = DEFAULT_CONTEXT.local,
): AskLocalInput {
  return {
    ...localRequest(settings, query, answer, turn, earlier, context),
    temperature: sampling.temperature,
    resample: { ...resample, seed: sampling.seed },
  };
}

/** Replies the novelty guard refused, per side: model calls whose tokens and cost the turn still counts. */
export interface RefusedReplies {
  cloud: AskCloudOutput[];
  local: AskLocalOutput[];
}

export function turnRecord(
  n: number,
  query: string,
  cloud: AskCloudOutput,
  local: AskLocalOutput,
  refused: RefusedReplies = { cloud: [], local: [] },
): Turn {
  const first = refused.cloud[0] ?? cloud;
  const resampled = refused.cloud.length + refused.local.length > 0;
  return {
    turn: n,
    timestamp: first.startedAt,
    query,
    cloudResponse: cloud.response,
    localResponse: local.question,
    processingTimeMs: Math.max(0, Date.parse(local.finishedAt) - Date.parse(first.startedAt)),
    cloudModel: cloud.model,
    localModel: local.model,
    cloudLatencyMs: cloud.latencyMs,
    localLatencyMs: local.latencyMs,
    cloudUsage: sumUsage([...refused.cloud, cloud]),
    localUsage: sumUsage([...refused.local, local]),
    cloudCost: sumCost([...refused.cloud, cloud]),
    localCost: sumCost([...refused.local, local]),
    ...(resampled && { resamples: { cloud: refused.cloud.length, local: refused.local.length } }),
    ...(cloud.mode && { cloudMode: cloud.mode }),
    ...(cloud.replica !== undefined && { cloudReplica: cloud.replica }),
    ...(local.replica !== undefined && { localReplica: local.replica }),
    ...([...refused.cloud, cloud].some((c) => c.onDemandCostUsd !== undefined) && {
      cloudOnDemandCostUsd: [...refused.cloud, cloud].reduce(
        (sum, c) => sum + (c.onDemandCostUsd ?? c.costUsd),
        0,
      ),
    }),
  };
}

export function sumUsage(calls: readonly { usage: TokenUsage }[]): TokenUsage {
  return calls.reduce(
    (sum, c) => ({
      inputTokens: sum.inputTokens + c.usage.inputTokens,
      outputTokens: sum.outputTokens + c.usage.outputTokens,
    }),
    { inputTokens: 0, outputTokens: 0 },
  );
}

export function sumCost(calls: readonly { costUsd: number; priced: boolean }[]): CallCost {
  return {
    costUsd: calls.reduce((sum, c) => sum + c.costUsd, 0),
    priced: calls.every((c) => c.priced),
  };
}

function historyMessages(turns: readonly Turn[]): ChatMessage[] {
  return turns.flatMap((t): ChatMessage[] => [
    { role: 'user', content: t.query },
    { role: 'assistant', content: t.cloudResponse },
  ]);
}
