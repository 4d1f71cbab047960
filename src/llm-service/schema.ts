import { chatBodySchema, promptBodySchema } from '../contracts/llm-rest';
import type { ChatMessage } from '../contracts/chat';
import { ValidationError } from '../contracts/errors';
import { parseOrThrow } from '../shared/validation';

export interface GenerateParams {
  messages: ChatMessage[];
  system?: string;
  maxTokens: number;
  temperature: number;
  topP?: number;
  model?: string;
}

/** Validates either body shape into one request; a 400 names the first bad field. */
export function parseGenerateBody(body: unknown): GenerateParams {
  if (body === undefined)
    throw new ValidationError('Request body is required: a JSON object with inputText or messages');
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (isObject && 'messages' in body) {
    if ('inputText' in body)
      throw new ValidationError('Invalid request body: send either inputText or messages, not both');
    return parseOrThrow(chatBodySchema, body);
  }
  const { inputText, ...rest } = parseOrThrow(promptBodySchema, body);
  return { messages: [{ role: 'user', content: inputText }], ...rest };
}
