/**
 * The transcript's JSONL twin: one line per conversation, OpenAI chat `messages` with the metadata, written by the
 * conversation's export and read back by the campaign's dataset writers, both with this type.
 */
import { averageProcessingTimeMs } from '../contracts/conversation';
import type { EndReason, Turn } from '../contracts/conversation';
import type { OutputStore } from './store';

export interface TranscriptRecord {
  conversationId: string;
  endReason: EndReason;
  completedTurns: number;
  /** ISO 8601 UTC: the first turn's start; null for a conversation that ended before its first turn. */
  startedAt: string | null;
  cloudModel: string | null;
  localModel: string | null;
  averageProcessingTimeMs: number;
  /** Each turn as the query (user) and the cloud model's answer (assistant). */
  messages: { role: 'user' | 'assistant'; content: string }[];
  /** Every turn as it was (both sides' raw text, models, latencies, tokens). */
  turns: Turn[];
}

/** What the dataset writers need of a record. */
export type Transcript = Pick<TranscriptRecord, 'conversationId' | 'endReason' | 'turns'>;

export function transcriptRecord(
  conversationId: string,
  endReason: EndReason,
  turns: Turn[],
): TranscriptRecord {
  const first = turns[0];
  return {
    conversationId,
    endReason,
    completedTurns: turns.length,
    startedAt: first?.timestamp ?? null,
    cloudModel: first?.cloudModel ?? null,
    localModel: first?.localModel ?? null,
    averageProcessingTimeMs: averageProcessingTimeMs(turns),
    messages: turns.flatMap((t) => [
      { role: 'user' as const, content: t.query },
      { role: 'assistant' as const, content: t.cloudResponse },
    ]),
    turns,
  };
}

/** The record as its one JSONL line. */
export function transcriptToJsonl(conversationId: string, endReason: EndReason, turns: Turn[]): string {
  return `${JSON.stringify(transcriptRecord(conversationId, endReason, turns))}\n`;
}

/** The record at `key` in the store; undefined when there is none. */
export async function readTranscript(store: OutputStore, key: string): Promise<Transcript | undefined> {
  const text = (await store.read(key))?.toString('utf8');
  if (text === undefined) return undefined;
  const line = JSON.parse(text.split('\n')[0] ?? '') as Partial<TranscriptRecord>;
  if (typeof line.conversationId !== 'string' || !Array.isArray(line.turns)) {
    throw new Error(`${store.location(key)} is not a transcript with turns (written by an older export?)`);
  }
  return { conversationId: line.conversationId, endReason: line.endReason ?? 'error', turns: line.turns };
}
