/**
 * The campaign spec's schema: what `POST /campaigns`, `npm run campaign` and `temporal workflow start --type
 * campaignWorkflow` accept. Pure (zod only), so the workflow can check a spec started from the Temporal CLI; the
 * seeds file and the expansion into items need the file system and live in the plan activities. Every error names
 * its path (`pairs[1].cloud.model`).
 */
import { z } from 'zod';
import { inputSchemas } from './conversation-input';
import type { ConversationInput } from './conversation-input';
import { isWellFormedText, NOT_WELL_FORMED_MESSAGE } from './text';
import {
  DEFAULT_OLLAMA_NUM_PARALLEL,
  MAX_MODEL_ID_CHARS,
  MAX_QUERY_CHARS,
  MAX_SYSTEM_PROMPT_CHARS,
  MAX_TURNS,
} from './limits';
import { CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE } from './campaign';
import { seedsFileProblem } from './seeds-file-name';
import { cloudBatchSchema } from './batch-spec';

/**
 * A copy of CAMPAIGN_ID_PATTERN for the schema: zod resets a pattern's `lastIndex` before each test, and the
 * workflow sandbox freezes what a preloaded module exports, the exported pattern with it (a frozen RegExp's
 * lastIndex cannot be set), which failed the campaign workflow's spec check for every spec with an id in it.
 */
const idPattern = new RegExp(CAMPAIGN_ID_PATTERN);

/**
 * Conversations in flight when a spec gives none: twice the slots of the stack's Ollama. A conversation has at most
 * one model call in flight and spends a moment between calls in Temporal, so twice the slots keeps a call ready for
 * every slot (docs/performance.md § The model server).
 */
export const DEFAULT_CAMPAIGN_CONCURRENCY = 2 * DEFAULT_OLLAMA_NUM_PARALLEL;
export const MAX_CAMPAIGN_CONCURRENCY = 500;
export const MAX_CAMPAIGN_ITEMS = 100_000;
export const MAX_SEEDS = 100_000;
export const MAX_PAIRS = 50;
export const MAX_REPEATS = 1000;
export const MAX_PILOT_ITEMS = 10_000;

const text = (max: number) =>
  z.string().trim().min(1).max(max).refine(isWellFormedText, NOT_WELL_FORMED_MESSAGE);

/** The conversation options every item of a campaign shares: all of a conversation's but its own. */
const PER_CONVERSATION_FIELDS = ['initialQuery', 'outputFile', 'conversationId', 'cloud', 'local'] as const;
type PerConversationField = (typeof PER_CONVERSATION_FIELDS)[number];

function sharedOptionsOf<S extends Record<PerConversationField, unknown>>(
  shape: S,
): Omit<S, PerConversationField> {
  return Object.fromEntries(
    Object.entries(shape).filter(([key]) => !(PER_CONVERSATION_FIELDS as readonly string[]).includes(key)),
  ) as Omit<S, PerConversationField>;
}

/** A grid's list of values: 1..20 of them, each valid for the side, none twice. */
function gridValues<T extends z.ZodType>(value: T) {
  return z
    .array(value)
    .min(1)
    .max(20)
    .superRefine((values, ctx) => {
      const seen = new Map<string, number>();
      values.forEach((v, i) => {
        const key = JSON.stringify(v);
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else ctx.addIssue({ code: 'custom', path: [i], message: `repeats the value at [${first}]` });
      });
    });
}

function buildSpecSchema() {
  const { cloudOptions, localOptions, conversationInput } = inputSchemas();
  const shared = sharedOptionsOf(conversationInput.shape);

  const seedObject = z
    .object({
      query: text(MAX_QUERY_CHARS),
      id: z.string().regex(idPattern, CAMPAIGN_ID_RULE).optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .strict();
  const seed = z.union([text(MAX_QUERY_CHARS), seedObject]);

  const pair = z.object({ cloud: cloudOptions.optional(), local: localOptions.optional() }).strict();

  const gridSide = (side: typeof cloudOptions | typeof localOptions) =>
    z
      .object({
        temperature: gridValues(side.shape.temperature.unwrap()).optional(),
        systemPrompt: gridValues(side.shape.systemPrompt.unwrap()).optional(),
      })
      .strict();

  const judge = z
    .object({
      model: text(MAX_MODEL_ID_CHARS),
      side: z.enum(['cloud', 'local']),
      rubric: text(MAX_SYSTEM_PROMPT_CHARS),
    })
    .strict();

  const schema = z
    .object({
      campaignId: z.string().regex(idPattern, CAMPAIGN_ID_RULE).optional(),
      name: text(200).optional(),
      seeds: z.array(seed).min(1).max(MAX_SEEDS).optional(),
      /** A relative `.jsonl` or `.csv` name inside INPUT_DIR; read by the plan activity. */
      seedsFile: z
        .string()
        .superRefine((name, ctx) => {
          const problem = seedsFileProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      pairs: z.array(pair).min(1).max(MAX_PAIRS),
      grid: z
        .object({ cloud: gridSide(cloudOptions).optional(), local: gridSide(localOptions).optional() })
        .strict()
        .optional(),
      repeats: z.number().int().min(1).max(MAX_REPEATS).optional(),
      ...shared,
      concurrency: z.number().int().min(1).max(MAX_CAMPAIGN_CONCURRENCY).optional(),
      budget: z
        .object({
          maxTokens: z.number().int().min(1).optional(),
          maxCostUsd: z.number().positive().optional(),
        })
        .strict()
        .optional(),
      judge: judge.optional(),
      /**
       * A finished campaign whose completed items this one takes over: an item with the same hash (the same seed,
       * options and repeat) is not run again (see planCampaign).
       */
      extends: z.string().regex(idPattern, CAMPAIGN_ID_RULE).optional(),
      /** Near-duplicate conversations (nearDuplicateOf in the manifest) are left out of the exports. */
      dedup: z.boolean().optional(),
      /**
       * Rules that keep the good part of the dataset: the `train` split holds the conversations none drops, the
       * `dropped` split the others, each with the rules that dropped it (see campaign/dataset/curate.ts).
       */
      curate: z
        .object({
          minTurns: z.number().int().min(1).max(MAX_TURNS).optional(),
          maxRepetition: z.number().min(0).max(1).optional(),
          maxConsecutiveOverlap: z.number().min(0).max(1).optional(),
          dropEmpty: z.boolean().optional(),
          dropTruncated: z.boolean().optional(),
          dropNearDuplicates: z.boolean().optional(),
          minJudgeScore: z.number().int().min(1).max(10).optional(),
        })
        .strict()
        .optional(),
      /** The cloud side in Bedrock batch inference jobs instead of on demand (see contracts/batch-spec.ts). */
      cloudBatch: cloudBatchSchema().optional(),
      /**
       * This campaign runs a stratified sample of `items` of the spec's items (every pair and grid cell in it): the
       * pilot of the campaign `of`, which takes its completed items over (see campaign/pilot.ts).
       */
      pilot: z
        .object({
          items: z.number().int().min(1).max(MAX_PILOT_ITEMS),
          of: z.string().regex(idPattern, CAMPAIGN_ID_RULE),
        })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine((spec, ctx) => {
      if (spec.extends !== undefined && spec.extends === spec.campaignId) {
        ctx.addIssue({ code: 'custom', path: ['extends'], message: 'names this campaign itself' });
      }
      if (spec.curate?.minJudgeScore !== undefined && spec.judge === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['curate', 'minJudgeScore'],
          message: 'needs a judge: give the spec a judge',
        });
      }
      if ((spec.seeds === undefined) === (spec.seedsFile === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'give exactly one of seeds or seedsFile' });
      }
    });
  return { schema, sharedKeys: Object.keys(shared), seedObject };
}

const { schema: campaignSpec, sharedKeys, seedObject } = buildSpecSchema();

/** Built once while the module loads, like the conversation's schemas (see conversation-input.ts). */
export function campaignSpecSchema(): typeof campaignSpec {
  return campaignSpec;
}

export type CampaignSpec = z.infer<typeof campaignSpec>;

/** A seed written as an object, `{query, id?, metadata?}`: also the rule for each record of a seeds file. */
export function seedObjectSchema(): typeof seedObject {
  return seedObject;
}

/** The conversation options of the spec that every item shares (maxTurns, stopPhrases, timeoutMinutes, …). */
export function sharedConversationOptions(spec: CampaignSpec): Partial<ConversationInput> {
  return Object.fromEntries(
    sharedKeys.filter((key) => key in spec).map((key) => [key, spec[key as keyof CampaignSpec]]),
  ) as Partial<ConversationInput>;
}
