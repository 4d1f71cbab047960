/**
 * The stand-in's own variables; the model provider's come from the Lambda's configuration (MODEL_PROVIDER,
 * OLLAMA_HOST, OLLAMA_MODEL, …) and S3's endpoint from the AWS SDK's standard variables (AWS_ENDPOINT_URL_S3).
 */
import { z } from 'zod';
import { ConfigError } from '../../contracts/errors';
import { DEFAULT_BEDROCK_BATCH_PORT } from '../../contracts/limits';
import { faultsSchema, type Faults } from './faults';

const faults = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .optional()
    .transform((raw, ctx): Faults | undefined => {
      if (raw === undefined) return undefined;
      try {
        const parsed = faultsSchema.safeParse(JSON.parse(raw));
        if (parsed.success) return parsed.data;
        ctx.addIssue({
          code: 'custom',
          message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON (${(err as Error).message})` });
      }
      return z.NEVER;
    }),
);

const schema = z.object({
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  BEDROCK_BATCH_PORT: z.coerce.number().int().min(1).max(65535).default(DEFAULT_BEDROCK_BATCH_PORT),
  /** How long each job waits Scheduled before it runs: the fake job latency. */
  BEDROCK_BATCH_JOB_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(5_000),
  /** Records of one job answered at once. */
  BEDROCK_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  /** Bedrock's per-job minimum (a quota, 100 by default): a job with fewer records fails validation. */
  BEDROCK_BATCH_MIN_RECORDS: z.coerce.number().int().min(1).max(50_000).default(100),
  /** JSON `{jobs: [...], requests: [...]}`: faults for the next jobs and API calls (docs/campaigns.md). */
  BEDROCK_BATCH_FAULTS: faults,
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

export type BedrockBatchConfig = z.infer<typeof schema>;
export const BEDROCK_BATCH_CONFIG_VARIABLES = Object.keys(schema.shape);

export function loadBedrockBatchConfig(env: NodeJS.ProcessEnv = process.env): BedrockBatchConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
