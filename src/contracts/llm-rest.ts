/**
 * The LLM REST service's JSON contract (`POST /api/v1/generate`): the request bodies the service accepts and the
 * answers it gives. The service validates requests with these schemas; the worker's client builds requests of
 * these types and checks the answers with them.
 */
import { z } from 'zod';
import type { ChatMessage } from './chat';
import {
  CLOUD_TEMPERATURE,
  DEFAULT_CLOUD_MAX_TOKENS,
  DEFAULT_TEMPERATURE,
  MAX_MESSAGE_CHARS,
  MAX_MESSAGES,
  MAX_MODEL_ID_CHARS,
  MAX_OUTPUT_TOKENS,
} from './limits';
import { isWellFormedText, NOT_WELL_FORMED_MESSAGE } from './text';

const notBlank = (s: string) => s.trim().length > 0;
/** Every text field: a lone surrogate is refused here (400 naming the field), not by the protobuf encoder later. */
const wellFormed = <T extends z.ZodString>(schema: T) =>
  schema.refine(isWellFormedText, NOT_WELL_FORMED_MESSAGE);
const text = wellFormed(z.string().max(MAX_MESSAGE_CHARS)).refine(notBlank, 'must not be blank');

/** Options both body shapes accept; the defaults are the original service's. */
const options = {
  system: wellFormed(z.string().max(MAX_MESSAGE_CHARS)).optional(),
  maxTokens: z.number().int().min(1).max(MAX_OUTPUT_TOKENS).default(DEFAULT_CLOUD_MAX_TOKENS),
  temperature: z.number().min(CLOUD_TEMPERATURE.min).max(CLOUD_TEMPERATURE.max).default(DEFAULT_TEMPERATURE),
  topP: z.number().gt(0).max(1).optional(),
  model: wellFormed(z.string().min(1).max(MAX_MODEL_ID_CHARS)).optional(),
};

// Strict objects: an unknown key (a typo such as max_tokens, or __proto__ / constructor) is a 400, not ignored.
/** The original API's body: `{inputText, temperature?, maxTokens?}`. */
export const promptBodySchema = z.strictObject({
  inputText: z
    .string({
      error: (issue) =>
        issue.code !== 'invalid_type'
          ? undefined
          : issue.input === undefined
            ? 'required (or send messages)'
            : 'must be a string',
    })
    .max(MAX_MESSAGE_CHARS)
    .refine(isWellFormedText, NOT_WELL_FORMED_MESSAGE)
    .refine(notBlank, 'must not be blank'),
  ...options,
});

/** The richer body: a conversation window. */
export const chatBodySchema = z.strictObject({
  messages: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']), content: text }))
    .min(1)
    .max(MAX_MESSAGES),
  ...options,
});

/** What a client sends in the chat shape (the defaults above fill what it leaves out). */
export interface GenerateRequestBody {
  messages: ChatMessage[];
  system?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  model?: string;
}

export const generateResponseSchema = z.object({
  response: z.string(),
  model: z.string(),
  stopReason: z.string(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  latencyMs: z.number(),
  requestId: z.string(),
});
export type GenerateResponseBody = z.infer<typeof generateResponseSchema>;

/** Every error answer of our HTTP services: `{error: {code, message, details?}}`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** An upstream failure's: whether to try again, and how long its server asked to wait first. */
    details: z
      .object({ retryable: z.boolean(), retryAfterMs: z.number().nonnegative() })
      .partial()
      .optional()
      .catch(undefined),
  }),
});
