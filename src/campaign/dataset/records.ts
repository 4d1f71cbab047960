/**
 * One dataset row per conversation that said something, and its forms in each file. Roles: the seed query and the
 * local model's questions are `user`, the cloud model's answers `assistant` (the cloud side's perspective, which
 * conversations.jsonl, sharegpt.jsonl and perspectives/cloud.jsonl take); perspectives/local.jsonl swaps them.
 * Pure.
 */
import type { Turn } from '../../contracts/conversation';
import type { CampaignItem, JudgeScore, ManifestItem, QualityFlags } from '../../contracts/campaign';
import { sideModel } from './manifest';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface SideParams {
  model: string;
  temperature: number | null;
  max_tokens: number | null;
  system_prompt: string | null;
}

/** A line of conversations.jsonl: `messages` as chat fine-tuning reads them, and the row's metadata. */
export interface ConversationRow {
  id: string;
  messages: ChatMessage[];
  metadata: {
    campaign_id: string;
    item_hash: string;
    index: number;
    seed_id: string;
    seed_metadata: Record<string, unknown> | null;
    pair_index: number;
    grid: Record<string, string | number>;
    repeat: number;
    cloud: SideParams;
    local: SideParams & { question_template: string | null };
    end_reason: string | null;
    turns: number;
    usage: {
      cloud: { input_tokens: number; output_tokens: number };
      local: { input_tokens: number; output_tokens: number };
    };
    cost_usd: number;
    started_at: string | null;
    ended_at: string | null;
    /** The local model's question after the last answer: asked, never answered, so not in `messages`. */
    last_question: string | null;
    quality: {
      empty_replies: number;
      truncated_replies: number;
      max_repetition: number;
      resamples: number;
      mean_reply_chars: number;
      distinct_1: number;
      distinct_2: number;
      cloud_turn_overlap: number | null;
      local_turn_overlap: number | null;
      collapsed: boolean;
    } | null;
    judge: { score: number | null; rationale: string; model: string } | null;
  };
}

function side(
  options: { temperature?: number; maxTokens?: number; systemPrompt?: string } | undefined,
  item: ManifestItem,
  name: 'cloud' | 'local',
): SideParams {
  return {
    model: sideModel(item, name),
    temperature: options?.temperature ?? null,
    max_tokens: item.sampling?.[name].maxTokens ?? null,
    system_prompt: options?.systemPrompt ?? null,
  };
}

function quality(flags: QualityFlags | undefined): ConversationRow['metadata']['quality'] {
  return flags
    ? {
        empty_replies: flags.emptyReplies,
        truncated_replies: flags.truncatedReplies,
        max_repetition: flags.maxRepetition,
        resamples: flags.resamples,
        mean_reply_chars: flags.meanReplyChars,
        distinct_1: flags.distinct1,
        distinct_2: flags.distinct2,
        cloud_turn_overlap: flags.turnOverlap.cloud,
        local_turn_overlap: flags.turnOverlap.local,
        collapsed: flags.collapsed,
      }
    : null;
}

function judge(score: JudgeScore | undefined): ConversationRow['metadata']['judge'] {
  return score ? { score: score.score, rationale: score.rationale, model: score.model } : null;
}

/** The cloud side's view: seed (user), answer (assistant), question (user), answer (assistant)… */
export function cloudMessages(turns: readonly Turn[], system: string | null): ChatMessage[] {
  return [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...turns.flatMap((t) => [
      { role: 'user' as const, content: t.query },
      { role: 'assistant' as const, content: t.cloudResponse },
    ]),
  ];
}

/**
 * The local side's view: each answer (user) and the question the local model wrote after it (assistant). The
 * seed query opens the first user message (`Question: …` / `Answer: …`, the form the local model read it in),
 * since no model wrote it.
 */
export function localMessages(turns: readonly Turn[], system: string | null): ChatMessage[] {
  return [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...turns.flatMap((t, i) => [
      {
        role: 'user' as const,
        content: i === 0 ? `Question: ${t.query}\nAnswer: ${t.cloudResponse}` : t.cloudResponse,
      },
      { role: 'assistant' as const, content: t.localResponse },
    ]),
  ];
}

export function conversationRow(args: {
  campaignId: string;
  item: ManifestItem;
  planned: CampaignItem;
  turns: readonly Turn[];
}): ConversationRow {
  const { item, planned, turns } = args;
  const outcome = item.outcome;
  const cloud = side(planned.conversation.cloud, item, 'cloud');
  const local = side(planned.conversation.local, item, 'local');
  return {
    id: item.conversationId,
    messages: cloudMessages(turns, cloud.system_prompt),
    metadata: {
      campaign_id: args.campaignId,
      item_hash: item.itemHash,
      index: item.index,
      seed_id: item.seedId,
      seed_metadata: planned.seed.metadata ?? null,
      pair_index: item.pairIndex,
      grid: item.grid,
      repeat: item.repeat,
      cloud,
      local: { ...local, question_template: planned.conversation.local?.questionTemplate ?? null },
      end_reason: outcome?.endReason ?? null,
      turns: turns.length,
      usage: {
        cloud: {
          input_tokens: outcome?.usage.cloud.inputTokens ?? 0,
          output_tokens: outcome?.usage.cloud.outputTokens ?? 0,
        },
        local: {
          input_tokens: outcome?.usage.local.inputTokens ?? 0,
          output_tokens: outcome?.usage.local.outputTokens ?? 0,
        },
      },
      cost_usd: outcome?.costUsd ?? 0,
      started_at: outcome?.startedAt ?? null,
      ended_at: outcome?.endedAt ?? null,
      last_question: turns.at(-1)?.localResponse ?? null,
      quality: quality(item.quality),
      judge: judge(outcome?.judge),
    },
  };
}

/** A line of conversations.jsonl; of dropped.jsonl with the rules that dropped it. */
export function toMessagesLine(row: ConversationRow, droppedBy: readonly string[] = []): string {
  return JSON.stringify(droppedBy.length > 0 ? { ...row, dropped_by: droppedBy } : row);
}

export interface ShareGptRecord {
  id: string;
  system?: string;
  conversations: { from: 'human' | 'gpt'; value: string }[];
}

/** ShareGPT: `human` for user, `gpt` for assistant; the system prompt apart. */
export function shareGptRecord(row: ConversationRow): ShareGptRecord {
  const system = row.messages.find((m) => m.role === 'system')?.content;
  return {
    id: row.id,
    ...(system === undefined ? {} : { system }),
    conversations: row.messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ from: m.role === 'user' ? 'human' : 'gpt', value: m.content })),
  };
}

export function toShareGptLine(row: ConversationRow): string {
  return JSON.stringify(shareGptRecord(row));
}

/** Only `messages`: the shape chat fine-tuning takes as it is. Line i is conversations.jsonl's line i. */
export function toPerspectiveLine(messages: ChatMessage[]): string {
  return JSON.stringify({ messages });
}
