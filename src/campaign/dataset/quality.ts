/** Quality flags of one finished conversation, from its transcript: pure. */
import type { EndReason, Turn } from '../../contracts/conversation';
import { similarity } from '../../conversation/workflows/repetition';
import type { QualityFlags } from '../../contracts/campaign';
import { conversationDiversity } from './diversity';
import { round } from './numbers';

/** The token limit each side ran with, where known: a reply that reached it was cut short. */
export interface ReplyLimits {
  cloud?: number;
  local?: number;
}

interface Reply {
  text: string;
  outputTokens: number;
  limit?: number;
}

/**
 * Replies are the model outputs in conversation order (each turn's answer, then its question); the seed query is
 * no reply. maxRepetition compares each reply with every earlier one (word-token Jaccard, as the workflow's
 * repetition stop does), over the whole conversation rather than the stop's window. The diversity figures are
 * diversity.ts's.
 */
export function qualityFlags(
  turns: readonly Turn[],
  limits: ReplyLimits,
  endReason?: EndReason,
): QualityFlags {
  const replies: Reply[] = turns.flatMap((t) => [
    { text: t.cloudResponse, outputTokens: t.cloudUsage.outputTokens, limit: limits.cloud },
    { text: t.localResponse, outputTokens: t.localUsage.outputTokens, limit: limits.local },
  ]);
  let maxRepetition = 0;
  for (let i = 1; i < replies.length; i++) {
    for (let j = 0; j < i; j++) {
      maxRepetition = Math.max(maxRepetition, similarity(replies[i]!.text, replies[j]!.text));
    }
  }
  const chars = replies.reduce((sum, r) => sum + r.text.length, 0);
  return {
    emptyReplies: replies.filter((r) => r.text.trim() === '').length,
    truncatedReplies: replies.filter((r) => r.limit !== undefined && r.outputTokens >= r.limit).length,
    maxRepetition: round(maxRepetition, 4),
    resamples: turns.reduce((n, t) => n + (t.resamples ? t.resamples.cloud + t.resamples.local : 0), 0),
    meanReplyChars: replies.length === 0 ? 0 : round(chars / replies.length, 1),
    ...(endReason === undefined ? {} : { endReason }),
    ...conversationDiversity(turns, endReason),
  };
}
