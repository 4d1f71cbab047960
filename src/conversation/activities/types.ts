/** Activity inputs and outputs. Type-only, so the workflow may import it (the workflow bundle never loads activity code). */
import type { EndReason, TokenUsage, Turn } from '../definitions';
import type { createActivities } from './index';

export type ConversationActivities = ReturnType<typeof createActivities>;

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface AskCloudInput {
  /** The recent conversation window, ending with the query to answer. */
  messages: ChatMessage[];
  system?: string;
  temperature?: number;
}

export interface AskCloudOutput {
  response: string;
  model: string;
  usage: TokenUsage;
  latencyMs: number;
  requestId: string;
  /** ISO 8601 UTC, when this (successful) attempt started. */
  startedAt: string;
}

export interface AskLocalInput {
  question: string;
  answer: string;
  model?: string;
}

export interface AskLocalOutput {
  /** The local model's follow-up question: the next turn's query. */
  question: string;
  model: string;
  usage: TokenUsage;
  latencyMs: number;
  /** ISO 8601 UTC, when the local model finished. */
  finishedAt: string;
}

export interface ExportTranscriptInput {
  conversationId: string;
  outputFile?: string;
  endReason: EndReason;
  turns: Turn[];
}

export interface ExportTranscriptOutput {
  csvPath: string;
  jsonlPath: string;
}
