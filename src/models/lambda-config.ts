import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ConfigError } from '../contracts/errors';
import {
  DEFAULT_CLOUD_MAX_TOKENS,
  DEFAULT_OLLAMA_HOST,
  DEFAULT_OLLAMA_MODEL,
  MAX_MESSAGE_CHARS,
  MAX_OUTPUT_TOKENS,
} from '../contracts/limits';

// zod/mini with only the English messages: the classic `z` would add ~400 KiB (every locale) to the bundle,
// which costs cold-start time on every new container.
z.config(en());

const int = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);
const text = (fallback: string) => z._default(z.string().check(z.minLength(1)), fallback);

/** The Lambda's environment. Read once at cold start; a bad value fails the init phase, not a request. */
const schema = z.object({
  MODEL_PROVIDER: z._default(z.enum(['bedrock', 'ollama', 'openai']), 'ollama'),
  BEDROCK_MODEL_ID: text('anthropic.claude-3-haiku-20240307-v1:0'),
  AWS_REGION: text('us-east-1'),
  OLLAMA_HOST: z._default(z.url({ protocol: /^https?$/ }), DEFAULT_OLLAMA_HOST),
  OLLAMA_MODEL: text(DEFAULT_OLLAMA_MODEL),
  /** MODEL_PROVIDER=openai: an OpenAI-compatible API's root (vLLM, SGLang, TGI, llama.cpp, LM Studio, Ollama's /v1). */
  OPENAI_BASE_URL: z._default(z.url({ protocol: /^https?$/ }), `${DEFAULT_OLLAMA_HOST}/v1`),
  OPENAI_MODEL: text(DEFAULT_OLLAMA_MODEL),
  /** `chat` for a chat model; `completions` for a base model, prompted with a question-and-answer transcript. */
  OPENAI_API: z._default(z.enum(['chat', 'completions']), 'chat'),
  /** The name of the variable that holds the server's API key (never the key itself); unset: no key is sent. */
  OPENAI_API_KEY_ENV: z.optional(z.string().check(z.regex(/^[A-Z_][A-Z0-9_]*$/))),
  MAX_INPUT_CHARS: int(1, 1_000_000, MAX_MESSAGE_CHARS),
  DEFAULT_MAX_TOKENS: int(1, MAX_OUTPUT_TOKENS, DEFAULT_CLOUD_MAX_TOKENS),
  /** Per attempt: how long the Bedrock client waits for an answer before it gives up on that attempt. */
  BEDROCK_TIMEOUT_MS: int(100, 900_000, 20_000),
  /**
   * Total attempts of the Bedrock client (its standard retry mode: throttling, 5xx, timeouts). 1: the SDK does not
   * retry, because the REST service owns the one inner retry (UPSTREAM_RETRIES) and Temporal the rest; 2 only with
   * UPSTREAM_RETRIES=0, or a struggling model sees 2 × 2 calls per activity attempt.
   */
  BEDROCK_MAX_ATTEMPTS: int(1, 2, 1),
});

export type LambdaConfig = z.infer<typeof schema>;
/** The names of all variables, for tooling that checks documentation and deployment files against the code. */
export const LAMBDA_CONFIG_VARIABLES = Object.keys(schema.shape);

/** Parses the Lambda's environment; throws a ConfigError naming every bad variable. */
export function loadLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid Lambda configuration: ${problems.join('; ')}`);
  }
  const keyVariable = parsed.data.OPENAI_API_KEY_ENV;
  if (parsed.data.MODEL_PROVIDER === 'openai' && keyVariable !== undefined && !env[keyVariable]) {
    throw new ConfigError(
      `Invalid Lambda configuration: OPENAI_API_KEY_ENV names ${keyVariable}, which is not set`,
    );
  }
  return parsed.data;
}

/**
 * The model the Lambda's provider answers with when a request names none: BEDROCK_MODEL_ID, OLLAMA_MODEL or
 * OPENAI_MODEL, as MODEL_PROVIDER says. Where the worker names the cloud side's default model (the manifest, the
 * estimate), it is this one.
 */
export function lambdaDefaultModel(config: LambdaConfig): string {
  switch (config.MODEL_PROVIDER) {
    case 'bedrock':
      return config.BEDROCK_MODEL_ID;
    case 'ollama':
      return config.OLLAMA_MODEL;
    case 'openai':
      return config.OPENAI_MODEL;
  }
}
