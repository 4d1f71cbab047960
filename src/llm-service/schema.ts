import { z } from 'zod';
import { ValidationError } from '../shared/errors';
import { parseOrThrow } from '../shared/validation';
import type { ChatMessage } from './upstream-client';

const MAX_TEXT = 32_000;

const notBlank = (s: string) => s.trim().length > 0;
const text = z.string().max(MAX_TEXT).refine(notBlank, 'must not be blank');

/** Options both body shapes accept; the defaults are the original service's. */
const options = {
  system: z.string().max(MAX_TEXT).optional(),
  maxTokens: z.number().int().min(1).max(8192).default(150),
  temperature: z.number().min(0).max(2).default(0.7),
  topP: z.number().gt(0).max(1).optional(),
  model: z.string().min(1).max(256).optional(),
};

/** The original API's body. */
const promptBody = z.object({
  inputText: z
    .string({
      error: (issue) => (issue.input === undefined ? 'required (or send messages)' : 'must be a string'),
    })
    .max(MAX_TEXT)
    .refine(notBlank, 'must not be blank'),
  ...options,
});

const chatBody = z.object({
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: text }))
    .min(1)
    .max(200),
  ...options,
});

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
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (isObject && 'messages' in body) {
    if ('inputText' in body)
      throw new ValidationError('Invalid request body: send either inputText or messages, not both');
    return parseOrThrow(chatBody, body);
  }
  const { inputText, ...rest } = parseOrThrow(promptBody, body);
  return { messages: [{ role: 'user', content: inputText }], ...rest };
}
