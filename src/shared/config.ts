import 'dotenv/config';
import { z } from 'zod';
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from '../contracts/deadline';
import { ConfigError } from '../contracts/errors';
import { outputUrlProblem } from '../contracts/output-url';
import {
  DEFAULT_API_RATE_LIMIT_PER_MINUTE,
  DEFAULT_BEDROCK_BATCH_PORT,
  DEFAULT_CLOUD_MAX_TOKENS,
  DEFAULT_CONTEXT_TOKENS,
  DEFAULT_CSV_ESCAPE_FORMULAS,
  DEFAULT_LOCAL_MAX_TOKENS,
  DEFAULT_MAX_RUNNING_CONVERSATIONS,
  DEFAULT_MAX_TURNS,
  DEFAULT_OLLAMA_HOST,
  DEFAULT_OLLAMA_MODEL,
  DEFAULT_OLLAMA_NUM_PARALLEL,
  DEFAULT_TIMEOUT_MINUTES,
  MAX_CONTEXT_TOKENS,
  MAX_OUTPUT_TOKENS,
  MAX_TIMEOUT_MINUTES,
  MAX_TURNS,
  MIN_CONTEXT_TOKENS,
} from '../contracts/limits';
import { isAddressOrSubnet } from './net';
import { BUILD_ID, BUILD_ID_RULE, DEFAULT_DEPLOYMENT_NAME, DEPLOYMENT_NAME } from '../contracts/deployment';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const url = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);
const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
/** Unset and empty mean "not configured", so a blank `API_KEY=` in .env does not demand an empty token. */
const secret = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.string().min(16, 'must be at least 16 characters').optional(),
);

/** Where response URLs point: an http(s) URL, kept without a trailing slash; unset or empty, URLs are relative. */
const publicBaseUrl = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .url({ protocol: /^https?$/ })
    .refine((u) => {
      if (!URL.canParse(u)) return true; // z.url() has said so already
      const { search, hash, username, password } = new URL(u);
      return !search && !hash && !username && !password;
    }, 'must be an http(s) URL without query, fragment or credentials')
    .transform((u) => {
      const { origin, pathname } = new URL(u);
      return origin + pathname.replace(/\/+$/, '');
    })
    .optional(),
);

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];
/**
 * Express's `trust proxy`, for the client address the rate limit counts by: unset, `false` or `0` (the client is
 * the peer; X-Forwarded-For is ignored), a number of proxies in front, or a comma-separated list of proxy
 * addresses, subnets and Express's presets. `true` (trust every hop) is refused: any client could then pick the
 * address it is counted by.
 */
const trustProxy = z
  .string()
  .default('')
  .transform((raw, ctx): false | number | string[] => {
    const value = raw.trim();
    if (value === '' || value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value) && Number(value) <= 10) return Number(value);
    const entries = value.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => !PROXY_PRESETS.includes(e) && !isAddressOrSubnet(e));
    if (bad.length === 0) return entries;
    ctx.addIssue({
      code: 'custom',
      message:
        value === 'true'
          ? 'trusting every proxy lets any client choose the address it is counted by: give the number of proxies in front of the API (1..10) or their addresses'
          : `not a proxy count (1..10), address, subnet or one of ${PROXY_PRESETS.join(', ')}: ${bad.join(', ')}`,
    });
    return z.NEVER;
  });

/** Worker processes one stack runs at most (each has its own metrics port). */
export const MAX_WORKER_COUNT = 8;

/** Every environment variable the services read, with its default. Validated once, at start-up. */
const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  LLM_SERVICE_PORT: port(8080),
  CONVERSATION_API_PORT: port(8081),
  GATEWAY_PORT: port(3000),
  // Where the services find each other; by default on this host at the ports above.
  LLM_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
  API_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  // The whole generate call, retry included (the REST service), and the worker's longest wait on it; a caller's
  // X-Request-Timeout-Ms shortens it (src/contracts/deadline.ts).
  UPSTREAM_TIMEOUT_MS: int(100, 900_000, DEFAULT_UPSTREAM_TIMEOUT_MS),
  // The REST service's resilience towards the gateway: at most one retry (Temporal owns the others), then a
  // circuit breaker.
  UPSTREAM_RETRIES: int(0, 1, 1),
  UPSTREAM_RETRY_BASE_MS: int(1, 60_000, 100),
  UPSTREAM_RETRY_MAX_MS: int(1, 300_000, 2_000),
  CIRCUIT_ERROR_THRESHOLD_PERCENT: int(1, 100, 50),
  CIRCUIT_VOLUME_THRESHOLD: int(1, 10_000, 5),
  CIRCUIT_WINDOW_MS: int(1_000, 3_600_000, 10_000),
  CIRCUIT_RESET_MS: int(100, 3_600_000, 10_000),
  LLM_SERVICE_BODY_LIMIT_BYTES: int(1_024, 10 * 1024 * 1024, 256 * 1024),
  /** When set, every LLM REST service route but /health needs `Authorization: Bearer <API_KEY>`. */
  API_KEY: secret,
  /** When set, every Conversation API route but /health and /ready needs `Authorization: Bearer <key>`. */
  CONVERSATION_API_KEY: secret,
  /** Requests per minute per client on the Conversation API (all routes but /health and /ready); 0 = no limit. */
  CONVERSATION_API_RATE_LIMIT_PER_MINUTE: int(0, 1_000_000, DEFAULT_API_RATE_LIMIT_PER_MINUTE),
  /** Running conversations past which `POST /conversation` answers 429; 0 = no limit. */
  CONVERSATION_MAX_RUNNING: int(0, 10_000_000, DEFAULT_MAX_RUNNING_CONVERSATIONS),
  CONVERSATION_API_TRUST_PROXY: trustProxy,
  PUBLIC_BASE_URL: publicBaseUrl,
  OLLAMA_HOST: url(DEFAULT_OLLAMA_HOST),
  OLLAMA_MODEL: z.string().min(1).default(DEFAULT_OLLAMA_MODEL),
  /** The stack's Ollama (`npm start`): calls it serves at once, each with a context of its own. */
  OLLAMA_NUM_PARALLEL: int(1, 64, DEFAULT_OLLAMA_NUM_PARALLEL),
  /** The stack's Ollama: how long a model stays loaded after its last call (Ollama's syntax; -1: while it runs). */
  OLLAMA_KEEP_ALIVE: z
    .string()
    .regex(
      /^(-1|0|\d+|(\d+(\.\d+)?(h|m|s|ms))+)$/,
      'must be -1, a number of seconds or a duration such as 30m or 1h30m',
    )
    .default('-1'),
  /**
   * The stack's Ollama: a call takes the slot whose cache its prompt continues (Ollama's multi-user cache), so a
   * conversation's history stays warm while other conversations' calls come between its turns.
   */
  OLLAMA_MULTIUSER_CACHE: z.enum(['0', '1', 'false', 'true']).default('1'),
  LOCAL_MAX_TOKENS: int(1, MAX_OUTPUT_TOKENS, DEFAULT_LOCAL_MAX_TOKENS),
  CLOUD_MAX_TOKENS: int(1, MAX_OUTPUT_TOKENS, DEFAULT_CLOUD_MAX_TOKENS),
  CONVERSATION_MAX_TURNS: int(1, MAX_TURNS, DEFAULT_MAX_TURNS),
  CONVERSATION_TIMEOUT_MINUTES: z.coerce
    .number()
    .min(0.1)
    .max(MAX_TIMEOUT_MINUTES)
    .default(DEFAULT_TIMEOUT_MINUTES),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('llm-conversations'),
  // A capped provider's model calls run on a task queue of their own, so Temporal caps what it is sent (see
  // docs/durability.md § Provider caps); an uncapped one's run on TEMPORAL_TASK_QUEUE and start eagerly.
  TEMPORAL_CLOUD_TASK_QUEUE: z.string().min(1).default('llm-cloud-calls'),
  TEMPORAL_LOCAL_TASK_QUEUE: z.string().min(1).default('llm-local-calls'),
  /** Per worker process; 0 = no limit (with no calls-per-second limit either, the calls start eagerly). */
  CLOUD_MAX_CONCURRENT_CALLS: int(0, 10_000, DEFAULT_OLLAMA_NUM_PARALLEL),
  /** Across every worker of the queue (Temporal's task queue rate limit); 0 = no limit. */
  CLOUD_MAX_CALLS_PER_SECOND: z.coerce.number().min(0).max(100_000).default(20),
  /** Input tokens (estimated) + maxTokens per minute, per worker process; 0 = no limit. */
  CLOUD_MAX_TOKENS_PER_MINUTE: int(0, 1_000_000_000, 0),
  LOCAL_MAX_CONCURRENT_CALLS: int(0, 10_000, DEFAULT_OLLAMA_NUM_PARALLEL),
  LOCAL_MAX_CALLS_PER_SECOND: z.coerce.number().min(0).max(100_000).default(0),
  /**
   * The context window of each side's default endpoint, in tokens: a conversation's prompt (history, system prompt
   * and the reply's maxTokens) is kept within it, cut in large steps (src/conversation/workflows/context-window.ts).
   */
  LOCAL_CONTEXT_TOKENS: int(MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS, DEFAULT_CONTEXT_TOKENS),
  CLOUD_CONTEXT_TOKENS: int(MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS, DEFAULT_CONTEXT_TOKENS),
  /** JSON or YAML: named model endpoints beside each side's default (src/models/endpoints.ts); unset: the defaults. */
  MODEL_ENDPOINTS_FILE: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
  /** JSON: model id → `{ "inputPer1k": USD, "outputPer1k": USD }`; unset, every model costs 0 and is flagged unpriced. */
  MODEL_PRICES_FILE: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
  TEMPORAL_UI_URL: url('http://127.0.0.1:8233'),
  /** What `npm start` runs as Temporal: the CLI's dev server (SQLite), or a Temporal server on PostgreSQL. */
  TEMPORAL_BACKEND: z.enum(['dev', 'postgres']).default('dev'),
  /** TEMPORAL_BACKEND=postgres: PostgreSQL's port (its own, so a system PostgreSQL on 5432 is left alone). */
  POSTGRES_PORT: port(5433),
  /**
   * TEMPORAL_BACKEND=postgres: the first of the 8 consecutive ports of the server's inner services (history,
   * matching and worker gRPC, the four membership ports, metrics). Temporal stores membership ports in a
   * PostgreSQL smallint, so the block must end below 32768.
   */
  TEMPORAL_INTERNAL_PORT_BASE: z.coerce.number().int().min(1024).max(32_760).default(7234),
  /** Worker processes `npm start` runs on the same task queues; worker n serves metrics on the port + n - 1. */
  WORKER_COUNT: int(1, MAX_WORKER_COUNT, 1),
  OUTPUT_DIR: z.string().min(1).default('./output'),
  /**
   * `s3://bucket/prefix`: every output goes to this S3-compatible store instead of OUTPUT_DIR (endpoint and keys
   * from the AWS SDK's variables), so workers on several machines write one dataset.
   */
  OUTPUT_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .superRefine((v, ctx) => {
        const problem = outputUrlProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  ),
  /** Path-style S3 URLs (MinIO, moto, Ceph); unset: on when AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL is set. */
  OUTPUT_S3_FORCE_PATH_STYLE: z.preprocess((v) => (v === '' ? undefined : v), z.stringbool().optional()),
  /** Where a campaign's `seedsFile` is read from: a relative name inside this folder, never outside it. */
  INPUT_DIR: z.string().min(1).default('./input'),
  /** Escape CSV text cells a spreadsheet would evaluate as formulas (OWASP's leading `'`); `false` writes them raw. */
  CSV_ESCAPE_FORMULAS: z.stringbool().default(DEFAULT_CSV_ESCAPE_FORMULAS),
  /** Prometheus endpoint (host:port) for the worker's Temporal SDK metrics; empty turns it off. */
  WORKER_METRICS_ADDRESS: z.string().default('127.0.0.1:9464'),
  // Worker capacity; see the README's Performance section for what these buy.
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(200),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(40),
  /** Live conversations one worker is sized for: its workflow cache and workflow heap follow (worker-memory.ts). */
  WORKER_EXPECTED_CONVERSATIONS: z.coerce.number().int().min(1).max(100_000).default(200),
  /**
   * The worker's main thread heap (activities, the campaign dataset), as `--max-old-space-size` on the worker
   * processes the stack starts; 0 = V8's default (a quarter of the machine's memory, up to 4 GB).
   */
  WORKER_MAIN_HEAP_MB: z.coerce.number().int().min(0).max(65_536).default(512),
  /** Unset: sized from WORKER_EXPECTED_CONVERSATIONS. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).optional(),
  WORKER_MAX_POLLERS: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Worker Deployment Versioning (docs/production.md, "Upgrading"): the deployment every worker of this service
   * polls for, and this worker's build in it. Unset, the build id is the package version and the git commit (with a
   * hash of uncommitted changes); where there is no git checkout (an image), set it, e.g. to the image tag.
   */
  WORKER_DEPLOYMENT_NAME: z
    .string()
    .max(200)
    .regex(DEPLOYMENT_NAME, 'letters, digits, - and _ only')
    .default(DEFAULT_DEPLOYMENT_NAME),
  WORKER_BUILD_ID: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().max(255).regex(BUILD_ID, BUILD_ID_RULE).optional(),
  ),
  /**
   * When this worker makes its build the deployment's Current Version (where new workflows start): `if-unset`, only
   * when the deployment has none (a first start); `always`, once it polls (what `npm start` does for its build);
   * `never`, left to `temporal worker deployment set-current-version` (a rolling deploy with a ramp).
   */
  WORKER_SET_CURRENT: z.enum(['if-unset', 'always', 'never']).default('if-unset'),
  /** A workflow bundle prebuilt by `npm run build:workflows`; unset, the worker bundles the workflows at start. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /**
   * Prometheus endpoint (host:port) for the worker's model-call and conversation metrics; empty turns it off.
   * Worker n of a stack (WORKER_COUNT) serves it on the port + n - 1.
   */
  CONVERSATION_METRICS_ADDRESS: z.string().default('127.0.0.1:9465'),
  /**
   * `local`: `npm start` runs batch mode's AWS side on this machine (moto's S3 server on BEDROCK_BATCH_S3_PORT, the
   * Bedrock batch stand-in on BEDROCK_BATCH_PORT) and points the worker at both.
   */
  BEDROCK_BATCH: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['off', 'local']).default('off')),
  BEDROCK_BATCH_S3_PORT: port(4566),
  /** BEDROCK_BATCH=local: the stand-in's port (its own variable too, see src/stack/bedrock-batch-stand-in/config.ts). */
  BEDROCK_BATCH_PORT: port(DEFAULT_BEDROCK_BATCH_PORT),
  /** `jaeger`: `npm start` runs a local Jaeger and points every service's OTLP exporter at it. */
  TRACING: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['off', 'jaeger']).default('off')),
  JAEGER_OTLP_GRPC_PORT: port(4317),
  JAEGER_OTLP_HTTP_PORT: port(4318),
  /** Jaeger's query API and UI (HTTP). */
  JAEGER_UI_PORT: port(16686),
  /** Jaeger's query API over gRPC. */
  JAEGER_GRPC_PORT: port(16685),
});

const schema = variables.transform((c) => ({
  ...c,
  LLM_SERVICE_URL: c.LLM_SERVICE_URL ?? `http://127.0.0.1:${c.LLM_SERVICE_PORT}`,
  API_GATEWAY_URL: c.API_GATEWAY_URL ?? `http://127.0.0.1:${c.GATEWAY_PORT}`,
}));

export type Config = z.infer<typeof schema>;
/** The names of all variables, for tooling that checks deployment files against the code. */
export const CONFIG_VARIABLES = Object.keys(variables.shape);

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
