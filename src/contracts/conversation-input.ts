/**
 * The conversation's input: its limits and defaults, and the zod schemas that the API, the CLI and the workflow
 * validate it with. Pure (no Node built-ins, no Temporal): the workflow bundle preloads this module once per worker
 * thread and shares it between workflows (see workflow-bundle.ts), where importing zod and building the schemas
 * per workflow cost about 1.5 MB and 15 ms of CPU each. The SDK freezes what a preloaded module exports, and
 * zod's own lazily-set state once preloading is done; a zod schema cannot be frozen. So the schemas are built
 * while the module loads (zod sets its state then) and kept out of the exports, behind `inputSchemas()`.
 */
import { z } from 'zod';
import {
  CLOUD_TEMPERATURE,
  DEFAULT_CLOUD_MAX_TOKENS,
  DEFAULT_LOCAL_MAX_TOKENS,
  DEFAULT_MAX_TURNS,
  ENDPOINT_NAME_PATTERN,
  ENDPOINT_NAME_RULE,
  LOCAL_TEMPERATURE,
  MAX_MODEL_ID_CHARS,
  MAX_OUTPUT_NAME_PART_CHARS,
  MAX_OUTPUT_TOKENS,
  MAX_QUERY_CHARS,
  MAX_SYSTEM_PROMPT_CHARS,
  MAX_TIMEOUT_MINUTES,
  MAX_TURNS,
} from './limits';
import { relativeFileNameProblem } from './relative-file-name';
import { isWellFormedText, NOT_WELL_FORMED_MESSAGE } from './text';

/** Two messages at least this similar (token Jaccard, 0..1) within the window end the run as `repetition`. */
export const DEFAULT_REPETITION_THRESHOLD = 0.9;
/**
 * How many earlier messages each new message is compared with; 0 turns the check off. Off by default: small
 * models echo their prompt often enough that a default check would end ordinary runs early (gemma3:270m runs
 * measured here reach 0.97–1.0 similarity within four messages); ask for it with `repetitionWindow`.
 */
export const DEFAULT_REPETITION_WINDOW = 0;

/**
 * The novelty guard (`novelty`, see src/conversation/workflows/novelty.ts): a reply whose word trigrams are at least
 * `threshold` similar (Jaccard, or equal once normalized) to an earlier message is asked for again, up to
 * `maxResamples` times, then ends the conversation as `repetition`; `novelty: false` turns it off. Two resamples:
 * each costs a model call, and on gemma3:270m most repeats are gone at the first (docs/campaigns.md). 0.65: a
 * question that adds a word or two to an earlier one ("So why is the sky blue?", 0.75) repeats it, one that
 * changes its subject ("Why is the sky blue at night?", 0.6) is new.
 */
export const DEFAULT_NOVELTY = { maxResamples: 2, threshold: 0.65 } as const;
export const NOVELTY_LIMITS = {
  maxResamples: { min: 0, max: 5 },
  threshold: { min: 0.3, max: 1 },
} as const;

export const DEFAULT_LOCAL_SYSTEM_PROMPT =
  'You are a curious learner talking with an expert. Read the expert answer and ask ONE short follow-up ' +
  'question about it. Reply with the question only: a single sentence, no preamble, no answer.';
/** `{answer}` (required) is the cloud model's answer, `{question}` the question it answered. */
export const DEFAULT_QUESTION_TEMPLATE =
  'Previous question: {question}\n\nExpert answer:\n{answer}\n\nWrite one short follow-up question.';
export const ANSWER_PLACEHOLDER = '{answer}';

/** The local model's prompt: the template with `{answer}` and `{question}` filled in (in one pass). */
export function renderQuestionPrompt(template: string, values: { question: string; answer: string }): string {
  return template.replace(/\{(answer|question)\}/g, (_, key: 'answer' | 'question') => values[key]);
}

/**
 * The carried turns are the workflow's input after a continue-as-new, its export input and its result, so
 * their size is bounded up front: maxTurns × (cloud maxTokens + 2 × local maxTokens, since each question is
 * also the next turn's query) stays under this many tokens, about 1.2 MB of text at 5 bytes a token, below
 * Temporal's 2 MB payload limit.
 */
export const MAX_TRANSCRIPT_TOKENS = 250_000;

/** The largest `maxTotalTokens`: far above what maxTurns × maxTokens allows a conversation to use anyway. */
export const MAX_TOTAL_TOKENS = 100_000_000;

const CONVERSATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Why a requested output file name cannot be used, or undefined when it can: the one rule the API, the CLI, the
 * workflow's input check and the export activity all apply, so whatever is accepted can be written: a relative
 * `.csv` path inside the output folder (see relativeFileNameProblem).
 */
export function outputFileProblem(name: string): string | undefined {
  return relativeFileNameProblem(name, ['.csv'], 'output folder');
}

/**
 * The transcript's name when none is requested, and where an export falls back when the requested one cannot be
 * written: `<conversationId>.csv` at the top of OUTPUT_DIR, made to pass outputFileProblem whatever the id (a
 * workflow started from the Temporal CLI may have any id): other characters become `_`, a leading dot too, and a
 * long id is cut, with a hash of the whole id so two long ids keep apart.
 */
export function defaultOutputFile(conversationId: string): string {
  let stem = conversationId.replace(/[^\w.-]/g, '_').replace(/^\./, '_') || '_';
  const room = MAX_OUTPUT_NAME_PART_CHARS - '.csv'.length;
  if (stem.length > room) stem = `${stem.slice(0, room - 9)}-${fnv1a(conversationId)}`;
  return `${stem}.csv`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable digest that needs no Node built-in. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function buildSchemas() {
  /** Free text: only text the wire can carry (see isWellFormedText). */
  const text = <T extends z.ZodString>(schema: T) => schema.refine(isWellFormedText, NOT_WELL_FORMED_MESSAGE);

  const conversationId = z
    .string()
    .regex(
      CONVERSATION_ID,
      'must be 1..128 characters of letters, digits, . _ - (starting with a letter or digit)',
    );

  const modelName = text(z.string().trim().min(1).max(MAX_MODEL_ID_CHARS));
  const systemPrompt = text(z.string().trim().min(1).max(MAX_SYSTEM_PROMPT_CHARS));
  const maxTokens = z.number().int().min(1).max(MAX_OUTPUT_TOKENS);
  /** A named model endpoint (MODEL_ENDPOINTS_FILE); never a URL. Whether it exists is the API's check. */
  const endpoint = z.string().regex(new RegExp(ENDPOINT_NAME_PATTERN), ENDPOINT_NAME_RULE);

  /** The cloud side (Bedrock through the LLM REST service): unset fields are the cloud side's own defaults. */
  const cloudOptions = z
    .object({
      endpoint: endpoint.optional(),
      model: modelName.optional(),
      systemPrompt: systemPrompt.optional(),
      temperature: z.number().min(CLOUD_TEMPERATURE.min).max(CLOUD_TEMPERATURE.max).optional(),
      maxTokens: maxTokens.optional(),
    })
    .strict();

  /** The local side (Ollama), which reads each answer and writes the next question. */
  const localOptions = z
    .object({
      endpoint: endpoint.optional(),
      model: modelName.optional(),
      systemPrompt: systemPrompt.optional(),
      temperature: z.number().min(LOCAL_TEMPERATURE.min).max(LOCAL_TEMPERATURE.max).optional(),
      maxTokens: maxTokens.optional(),
      questionTemplate: text(z.string().min(1).max(MAX_SYSTEM_PROMPT_CHARS))
        .refine((t) => t.includes(ANSWER_PLACEHOLDER), `must contain the ${ANSWER_PLACEHOLDER} placeholder`)
        .optional(),
    })
    .strict();

  const conversationInput = z
    .object({
      initialQuery: text(z.string().trim().min(1).max(MAX_QUERY_CHARS)),
      outputFile: z
        .string()
        .superRefine((name, ctx) => {
          const problem = outputFileProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      maxTurns: z.number().int().min(1).max(MAX_TURNS).optional(),
      conversationId: conversationId.optional(),
      cloud: cloudOptions.optional(),
      local: localOptions.optional(),
      /** Case-insensitive; a turn whose answer or question contains one ends the run as `stop_phrase`. */
      stopPhrases: z
        .array(text(z.string().trim().min(1).max(200)))
        .max(20)
        .optional(),
      novelty: z
        .union(
          [
            z.literal(false),
            z
              .object({
                maxResamples: z
                  .number()
                  .int()
                  .min(NOVELTY_LIMITS.maxResamples.min)
                  .max(NOVELTY_LIMITS.maxResamples.max)
                  .optional(),
                threshold: z
                  .number()
                  .min(NOVELTY_LIMITS.threshold.min)
                  .max(NOVELTY_LIMITS.threshold.max)
                  .optional(),
              })
              .strict(),
          ],
          {
            error: `must be false, or {maxResamples?: ${NOVELTY_LIMITS.maxResamples.min}..${NOVELTY_LIMITS.maxResamples.max} (a whole number), threshold?: ${NOVELTY_LIMITS.threshold.min}..${NOVELTY_LIMITS.threshold.max}}`,
          },
        )
        .optional(),
      repetitionThreshold: z.number().min(0.5).max(1).optional(),
      repetitionWindow: z.number().int().min(0).max(20).optional(),
      delayBetweenTurnsMs: z
        .number()
        .int()
        .min(0)
        .max(60 * 60_000)
        .optional(),
      timeoutMinutes: z.number().min(0.1).max(MAX_TIMEOUT_MINUTES).optional(),
      /** Input + output tokens of both sides; the turn that reaches it is the last (endReason `budget`). */
      maxTotalTokens: z.number().int().min(1).max(MAX_TOTAL_TOKENS).optional(),
    })
    .strict()
    .superRefine((input, ctx) => {
      const tokens =
        (input.maxTurns ?? DEFAULT_MAX_TURNS) *
        ((input.cloud?.maxTokens ?? DEFAULT_CLOUD_MAX_TOKENS) +
          2 * (input.local?.maxTokens ?? DEFAULT_LOCAL_MAX_TOKENS));
      if (tokens > MAX_TRANSCRIPT_TOKENS) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxTurns'],
          message:
            `maxTurns × (cloud.maxTokens + 2 × local.maxTokens) is ${tokens}, over the ${MAX_TRANSCRIPT_TOKENS} ` +
            'a conversation may carry: lower maxTurns or the maxTokens',
        });
      }
    });
  return { conversationId, cloudOptions, localOptions, conversationInput };
}

const schemas = buildSchemas();
type InputSchemas = typeof schemas;

export function inputSchemas(): InputSchemas {
  return schemas;
}

export type ConversationInput = z.infer<InputSchemas['conversationInput']>;
export type CloudOptions = z.infer<InputSchemas['cloudOptions']>;
export type LocalOptions = z.infer<InputSchemas['localOptions']>;
export type NoveltyOption = NonNullable<ConversationInput['novelty']>;
export interface NoveltySettings {
  maxResamples: number;
  threshold: number;
}
