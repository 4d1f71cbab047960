/**
 * Bedrock's Converse request and response bodies, text only: what the Lambda sends on demand and what a batch
 * record carries as `modelInput` (a Converse batch job takes the Converse request body), in one place so both
 * paths ask the model the same thing.
 */
import type { ChatMessage } from '../contracts/chat';

/** What a caller asks of a chat model, independent of the vendor (the Lambda's GenerateInput has this shape). */
export interface ChatRequest {
  messages: ChatMessage[];
  system?: string;
  maxTokens: number;
  temperature?: number;
  topP?: number;
}

export interface ConverseTextBlock {
  text: string;
}

/** The body of `POST /model/{modelId}/converse`: the request without its model id. */
export interface ConverseRequestBody {
  messages: { role: ChatMessage['role']; content: ConverseTextBlock[] }[];
  system?: ConverseTextBlock[];
  inferenceConfig: { maxTokens: number; temperature?: number; topP?: number };
}

/** Converse's response body, as far as text answers go. */
export interface ConverseResponseBody {
  output: { message: { role: 'assistant'; content: Partial<ConverseTextBlock>[] } };
  stopReason: string;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  metrics?: { latencyMs: number };
}

export function converseRequestBody({
  messages,
  system,
  maxTokens,
  temperature,
  topP,
}: ChatRequest): ConverseRequestBody {
  return {
    messages: messages.map((m) => ({ role: m.role, content: [{ text: m.content }] })),
    ...(system ? { system: [{ text: system }] } : {}),
    inferenceConfig: {
      maxTokens,
      ...(temperature === undefined ? {} : { temperature }),
      ...(topP === undefined ? {} : { topP }),
    },
  };
}

/** The inverse of converseRequestBody, for a server that answers Converse bodies (text blocks joined). */
export function chatRequestOf(body: ConverseRequestBody): ChatRequest {
  const text = (blocks: Partial<ConverseTextBlock>[] = []) => blocks.map((b) => b.text ?? '').join('');
  const system = text(body.system);
  const { maxTokens, temperature, topP } = body.inferenceConfig;
  return {
    messages: body.messages.map((m) => ({ role: m.role, content: text(m.content) })),
    ...(system ? { system } : {}),
    maxTokens,
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
  };
}

/** An answer's text blocks (`output.message.content`) joined and trimmed, the same way on both paths. */
export function answerText(content: readonly { text?: string }[] | undefined): string {
  return (content ?? [])
    .map((block) => block.text ?? '')
    .join('')
    .trim();
}
