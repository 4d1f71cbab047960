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
  temperature: z.number().min(0).max(1).default(0.7), // Bedrock Converse's range
  topP: z.number().gt(0).max(1).optional(),
  model: z.string().min(1).max(256).optional(),
};

// Strict objects: an unknown key (a typo such as max_tokens, or __proto__ / constructor) is a 400, not ignored.
/** The original API's body. */
const promptBody = z.strictObject({
  inputText: z
    .string({
      error: (issue) =>
        issue.code !== 'invalid_type'
          ? undefined
          : issue.input === undefined
            ? 'required (or send messages)'
            : 'must be a string',
    })
    .max(MAX_TEXT)
    .refine(notBlank, 'must not be blank'),
  ...options,
});

const chatBody = z.strictObject({
  messages: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']), content: text }))
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
  if (body === undefined)
    throw new ValidationError('Request body is required: a JSON object with inputText or messages');
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  if (isObject && 'messages' in body) {
    if ('inputText' in body)
      throw new ValidationError('Invalid request body: send either inputText or messages, not both');
    return parseOrThrow(chatBody, body);
  }
  const { inputText, ...rest } = parseOrThrow(promptBody, body);
  return { messages: [{ role: 'user', content: inputText }], ...rest };
}
