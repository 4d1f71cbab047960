/**
 * The local side's chat prompt: the whole conversation as the model's own, the questions being what it said
 * (`assistant`) and each answer, as the conversation's question template renders it, what it was told (`user`),
 * so that what it writes next is the next question. Append-only: one more exchange adds two messages at the end.
 * What a call adds (a resample's note) goes at the end of its last message. Pure: free of Node built-ins.
 */
import type { Exchange } from './base-model-prompt';

export interface QuestionMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function questionMessages(input: {
  /** Oldest first; the last is the one to follow up on. */
  exchanges: readonly Exchange[];
  systemPrompt: string;
  /** The user message for an exchange (its question and answer through the conversation's template). */
  template: (exchange: Exchange) => string;
  note?: string;
}): QuestionMessage[] {
  const messages: QuestionMessage[] = [{ role: 'system', content: input.systemPrompt }];
  input.exchanges.forEach((exchange, i) => {
    if (i > 0) messages.push({ role: 'assistant', content: exchange.question });
    messages.push({ role: 'user', content: input.template(exchange) });
  });
  const last = messages.at(-1)!;
  if (input.note) last.content = `${last.content}\n\n${input.note}`;
  return messages;
}
