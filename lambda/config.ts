import { z } from 'zod';
import { ConfigError } from '../src/shared/errors';

/** The Lambda's environment. Read once at cold start; a bad value fails the init phase, not a request. */
const schema = z.object({
  MODEL_PROVIDER: z.enum(['bedrock', 'ollama']).default('ollama'),
  BEDROCK_MODEL_ID: z.string().min(1).default('anthropic.claude-3-haiku-20240307-v1:0'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  OLLAMA_HOST: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:11434'),
  OLLAMA_MODEL: z.string().min(1).default('gemma3:270m'),
  MAX_INPUT_CHARS: z.coerce.number().int().min(1).max(1_000_000).default(32_000),
  DEFAULT_MAX_TOKENS: z.coerce.number().int().min(1).max(8192).default(256),
});

export type LambdaConfig = z.infer<typeof schema>;

/** Parses the Lambda's environment; throws a ConfigError naming every bad variable. */
export function loadLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid Lambda configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
