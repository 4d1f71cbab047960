/**
 * What one turn sends to each model and what it records: pure functions shared by the conversation workflow and
 * the benchmark's baselines (the Temporal floor workflow and the plain loop), so all three do the same work.
 */
import type { ChatMessage } from '../../contracts/chat';
import type { ConversationInput, Turn } from '../../contracts/conversation';
import type { AskCloudInput, AskCloudOutput, AskLocalInput, AskLocalOutput } from '../activities/types';

/** How many earlier turns the cloud model sees besides the current query. */
export const HISTORY_TURNS = 4;

type ModelSettings = Pick<ConversationInput, 'cloud' | 'local'>;

export function cloudRequest(settings: ModelSettings, turns: Turn[], query: string): AskCloudInput {
  return {
    messages: [...historyWindow(turns), { role: 'user', content: query }],
    system: settings.cloud?.systemPrompt,
    temperature: settings.cloud?.temperature,
    model: settings.cloud?.model,
    maxTokens: settings.cloud?.maxTokens,
    turn: turns.length + 1,
  };
}

export function localRequest(
  settings: ModelSettings,
  query: string,
  answer: string,
  turn: number,
): AskLocalInput {
  return {
    question: query,
    answer,
    model: settings.local?.model,
    systemPrompt: settings.local?.systemPrompt,
    temperature: settings.local?.temperature,
    maxTokens: settings.local?.maxTokens,
    questionTemplate: settings.local?.questionTemplate,
    turn,
  };
}

export function turnRecord(n: number, query: string, cloud: AskCloudOutput, local: AskLocalOutput): Turn {
  return {
    turn: n,
    timestamp: cloud.startedAt,
    query,
    cloudResponse: cloud.response,
    localResponse: local.question,
    processingTimeMs: Math.max(0, Date.parse(local.finishedAt) - Date.parse(cloud.startedAt)),
    cloudModel: cloud.model,
    localModel: local.model,
    cloudLatencyMs: cloud.latencyMs,
    localLatencyMs: local.latencyMs,
    cloudUsage: cloud.usage,
    localUsage: local.usage,
    cloudCost: { costUsd: cloud.costUsd, priced: cloud.priced },
    localCost: { costUsd: local.costUsd, priced: local.priced },
  };
}

function historyWindow(turns: Turn[]): ChatMessage[] {
  return turns.slice(-HISTORY_TURNS).flatMap((t): ChatMessage[] => [
    { role: 'user', content: t.query },
    { role: 'assistant', content: t.cloudResponse },
  ]);
}
