/**
 * The campaign spec's schema: what `POST /campaigns`, `npm run campaign` and `temporal workflow start --type
 * campaignWorkflow` accept. Pure (zod only), so the workflow can check a spec started from the Temporal CLI; the
 * seeds file and the expansion into items need the file system and live in the plan activities. Every error names
 * its path (`pairs[1].cloud.model`).
 */
import { z } from 'zod';
import { inputSchemas } from '../conversation/input';
import { isWellFormedText, NOT_WELL_FORMED_MESSAGE } from '../contracts/text';
import { MAX_MODEL_ID_CHARS, MAX_QUERY_CHARS, MAX_SYSTEM_PROMPT_CHARS } from '../contracts/limits';

export const DEFAULT_CAMPAIGN_CONCURRENCY = 10;
export const MAX_CAMPAIGN_CONCURRENCY = 500;
export const MAX_CAMPAIGN_ITEMS = 100_000;
export const MAX_SEEDS = 100_000;
export const MAX_PAIRS = 50;
export const MAX_REPEATS = 1000;
/** `campaign-<campaignId>-<12-digit item hash>` stays within a conversation id's 128 characters. */
export const MAX_CAMPAIGN_ID_CHARS = 64;

const text = (max: number) =>
  z.string().trim().min(1).max(max).refine(isWellFormedText, NOT_WELL_FORMED_MESSAGE);

function buildSpecSchema() {
  const { cloudOptions, localOptions, conversationInput } = inputSchemas();
  const shared = conversationInput.shape;

  const seedObject = z
    .object({
      query: text(MAX_QUERY_CHARS),
      id: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
          'must be 1..64 letters, digits, . _ - (starting with a letter or digit)',
        )
        .optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .strict();
  const seed = z.union([text(MAX_QUERY_CHARS), seedObject]);

  const pair = z.object({ cloud: cloudOptions.optional(), local: localOptions.optional() }).strict();

  const gridSide = z
    .object({
      temperature: z.array(z.number()).min(1).max(20).optional(),
      systemPrompt: z.array(text(MAX_SYSTEM_PROMPT_CHARS)).min(1).max(20).optional(),
    })
    .strict();

  const judge = z
    .object({
      model: text(MAX_MODEL_ID_CHARS),
      side: z.enum(['cloud', 'local']),
      rubric: text(MAX_SYSTEM_PROMPT_CHARS),
    })
    .strict();

  return z
    .object({
      campaignId: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
          `must be 1..${MAX_CAMPAIGN_ID_CHARS} letters, digits, . _ - (starting with a letter or digit)`,
        )
        .optional(),
      name: text(200).optional(),
      seeds: z.array(seed).min(1).max(MAX_SEEDS).optional(),
      /** A relative `.jsonl` or `.csv` name inside INPUT_DIR; read by the plan activity. */
      seedsFile: z.string().min(1).max(255).optional(),
      pairs: z.array(pair).min(1).max(MAX_PAIRS),
      grid: z.object({ cloud: gridSide.optional(), local: gridSide.optional() }).strict().optional(),
      repeats: z.number().int().min(1).max(MAX_REPEATS).optional(),
      maxTurns: shared.maxTurns,
      stopPhrases: shared.stopPhrases,
      repetitionThreshold: shared.repetitionThreshold,
      repetitionWindow: shared.repetitionWindow,
      delayBetweenTurnsMs: shared.delayBetweenTurnsMs,
      timeoutMinutes: shared.timeoutMinutes,
      concurrency: z.number().int().min(1).max(MAX_CAMPAIGN_CONCURRENCY).optional(),
      budget: z
        .object({
          maxTokens: z.number().int().min(1).optional(),
          maxCostUsd: z.number().positive().optional(),
        })
        .strict()
        .optional(),
      judge: judge.optional(),
    })
    .strict()
    .superRefine((spec, ctx) => {
      if ((spec.seeds === undefined) === (spec.seedsFile === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'give exactly one of seeds or seedsFile' });
      }
    });
}

const campaignSpec = buildSpecSchema();

/** Built once while the module loads, like the conversation's schemas (see conversation/input.ts). */
export function campaignSpecSchema(): typeof campaignSpec {
  return campaignSpec;
}

export type CampaignSpec = z.infer<typeof campaignSpec>;
