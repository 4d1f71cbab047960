/**
 * Named model servers (`MODEL_ENDPOINTS_FILE`, JSON or YAML). Each side of a conversation calls one endpoint,
 * chosen by name (`local.endpoint`, `cloud.endpoint`); a request or a spec names an endpoint, never a URL or a
 * key, so whoever may start a conversation cannot point the worker at an address of their choosing.
 *
 * Two endpoints always exist, built from the environment as before endpoints existed: `local` (Ollama at
 * OLLAMA_HOST, capped by LOCAL_MAX_*) and `cloud` (the Lambda path: the LLM REST service at LLM_SERVICE_URL, capped
 * by CLOUD_MAX_*). The file adds others:
 *
 *   endpoints:
 *     - name: gpu-fleet
 *       kind: openai                     # ollama | openai | bedrock
 *       baseUrl: http://vllm.internal:8000/v1
 *       apiKeyEnv: VLLM_API_KEY          # the variable that holds the key, never the key
 *       api: chat                        # openai: chat (default) or completions, for a base model
 *       model: meta-llama/Llama-3.1-8B-Instruct   # optional: calls that name no model use this one
 *       caps: { maxConcurrentCalls: 64, maxCallsPerSecond: 0, maxTokensPerMinute: 0 }   # 0 = no limit
 *       contextTokens: 32768             # the model's context window as served (default 4096)
 *     - name: ollama-pair
 *       kind: ollama
 *       baseUrls:                        # replicas of one model server (instead of baseUrl), see replicas.ts
 *         - http://10.0.0.5:11434
 *         - { url: http://10.0.0.6:11434, maxConcurrentCalls: 4 }
 *       routing: affinity                # affinity (default) | round-robin
 *
 * Read and validated once at start-up; a bad file is a ConfigError naming the file, the endpoint and the field.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../contracts/errors';
import {
  DEFAULT_CONTEXT_TOKENS,
  DEFAULT_ENDPOINTS,
  ENDPOINT_NAME_PATTERN,
  ENDPOINT_NAME_RULE,
  MAX_CONTEXT_TOKENS,
  MIN_CONTEXT_TOKENS,
} from '../contracts/limits';
import type { Config } from '../shared/config';
import { OPENAI_APIS, type OpenAiApi } from './openai-client';
import { REPLICA_ROUTINGS, type EndpointReplica, type ReplicaRouting } from './replicas';

export const ENDPOINT_KINDS = ['ollama', 'openai', 'bedrock'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

/** What the engine lets one endpoint take; 0 means no limit, as for the CLOUD_/LOCAL_ variables. */
export interface EndpointCaps {
  /** Calls in flight, per worker process. */
  maxConcurrentCalls: number;
  /** Calls started per second, across every worker (the endpoint's task queue rate limit). */
  maxCallsPerSecond: number;
  /** Input tokens (estimated) plus maxTokens per minute, per worker process. */
  maxTokensPerMinute: number;
}

export interface ModelEndpoint {
  name: string;
  kind: EndpointKind;
  /** Ollama's root, an OpenAI-compatible API's root (usually ending in /v1), or the LLM REST service's. */
  baseUrl: string;
  /** The replicas of the server (`baseUrls`), the first at `baseUrl`; one replica when the file gives a baseUrl. */
  replicas: readonly EndpointReplica[];
  routing: ReplicaRouting;
  /** The context window the server gives the model, in tokens: what a conversation's prompt is kept within. */
  contextTokens: number;
  /** The environment variable that holds the key (read by `endpointApiKey`); unset: no key is sent. */
  apiKeyEnv?: string;
  /** `openai` only: chat completions, or completions for a base model. */
  api?: OpenAiApi;
  /** The model of calls that name none; unset: the side's default (OLLAMA_MODEL, the Lambda's model). */
  model?: string;
  caps: EndpointCaps;
}

export interface ModelEndpoints {
  /** Every endpoint, the two defaults first. */
  readonly all: readonly ModelEndpoint[];
  /** Each side's endpoint when a conversation names none. */
  readonly defaults: { readonly local: ModelEndpoint; readonly cloud: ModelEndpoint };
  get(name: string): ModelEndpoint | undefined;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A file endpoint's caps where it gives none: the side defaults' own (config.ts) for the servers they stand for. */
function defaultCaps(kind: EndpointKind, config: Config): EndpointCaps {
  return kind === 'bedrock'
    ? {
        maxConcurrentCalls: config.CLOUD_MAX_CONCURRENT_CALLS,
        maxCallsPerSecond: config.CLOUD_MAX_CALLS_PER_SECOND,
        maxTokensPerMinute: config.CLOUD_MAX_TOKENS_PER_MINUTE,
      }
    : {
        maxConcurrentCalls: config.LOCAL_MAX_CONCURRENT_CALLS,
        maxCallsPerSecond: config.LOCAL_MAX_CALLS_PER_SECOND,
        maxTokensPerMinute: 0,
      };
}

const baseUrl = z.url({ protocol: /^https?$/ }).refine((u) => {
  if (!URL.canParse(u)) return true; // z.url() has said so already
  const { search, hash, username, password } = new URL(u);
  return !search && !hash && !username && !password;
}, 'must be an http(s) URL without query, fragment or credentials (a key goes in the variable apiKeyEnv names)');

const replica = z.union([
  baseUrl,
  z.object({ url: baseUrl, maxConcurrentCalls: z.number().int().min(0).max(10_000).optional() }).strict(),
]);

const caps = z
  .object({
    maxConcurrentCalls: z.number().int().min(0).max(10_000).optional(),
    maxCallsPerSecond: z.number().min(0).max(100_000).optional(),
    maxTokensPerMinute: z.number().int().min(0).max(1_000_000_000).optional(),
  })
  .strict();

const endpoint = z
  .object({
    name: z.string().regex(new RegExp(ENDPOINT_NAME_PATTERN), ENDPOINT_NAME_RULE),
    kind: z.enum(ENDPOINT_KINDS),
    baseUrl: baseUrl.optional(),
    baseUrls: z.array(replica).min(1).max(64).optional(),
    routing: z.enum(REPLICA_ROUTINGS).optional(),
    contextTokens: z.number().int().min(MIN_CONTEXT_TOKENS).max(MAX_CONTEXT_TOKENS).optional(),
    apiKeyEnv: z
      .string()
      .regex(ENV_NAME, 'must be an environment variable name such as VLLM_API_KEY')
      .optional(),
    api: z.enum(OPENAI_APIS as [OpenAiApi, ...OpenAiApi[]]).optional(),
    model: z.string().min(1).max(256).optional(),
    caps: caps.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (Object.values<string>(DEFAULT_ENDPOINTS).includes(e.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `"${e.name}" is a default endpoint's name (it comes from the environment); choose another`,
      });
    }
    if (e.kind !== 'bedrock' && e.baseUrl === undefined && e.baseUrls === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseUrl'],
        message: `is required for kind ${e.kind} (or baseUrls, for replicas)`,
      });
    }
    if (e.baseUrl !== undefined && e.baseUrls !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseUrls'],
        message: 'is instead of baseUrl: give one or the other',
      });
    }
    if (e.kind === 'bedrock' && (e.baseUrls !== undefined || e.routing !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [e.baseUrls === undefined ? 'routing' : 'baseUrls'],
        message: 'is for kinds ollama and openai (a bedrock endpoint is one LLM REST service)',
      });
    }
    const urls = (e.baseUrls ?? []).map((r) => (typeof r === 'string' ? r : r.url).replace(/\/+$/, ''));
    urls.forEach((u, i) => {
      if (urls.indexOf(u) !== i) {
        ctx.addIssue({ code: 'custom', path: ['baseUrls', i], message: 'names the same replica twice' });
      }
    });
    if (e.kind === 'openai' && e.model === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: 'is required for kind openai: the name the server serves the model under',
      });
    }
    if (e.api !== undefined && e.kind !== 'openai') {
      ctx.addIssue({
        code: 'custom',
        path: ['api'],
        message: 'is only for kind openai (Ollama is asked which template a model has)',
      });
    }
  });

const file = z
  .object({ endpoints: z.array(endpoint).max(64) })
  .strict()
  .superRefine(({ endpoints }, ctx) => {
    const seen = new Set<string>();
    endpoints.forEach((e, i) => {
      if (seen.has(e.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['endpoints', i, 'name'],
          message: `"${e.name}" is used twice`,
        });
      }
      seen.add(e.name);
    });
  });

/**
 * The kinds each side can call: the cloud side answers through the Lambda path (`bedrock`, whatever model provider
 * the Lambda runs) or straight from an OpenAI-compatible server; the local side asks Ollama or such a server.
 */
export const SIDE_KINDS: Record<Side, readonly EndpointKind[]> = {
  cloud: ['bedrock', 'openai'],
  local: ['ollama', 'openai'],
};
export type Side = 'cloud' | 'local';

/** What the API needs to know of the endpoints: names, kinds and default models, never a URL or a key. */
export interface EndpointCatalog {
  readonly all: readonly Pick<ModelEndpoint, 'name' | 'kind' | 'model'>[];
  get(name: string): Pick<ModelEndpoint, 'name' | 'kind' | 'model'> | undefined;
}

/** Each side's default alone: what an API without MODEL_ENDPOINTS_FILE (a test's) knows. */
export const DEFAULT_CATALOG: EndpointCatalog = (() => {
  const all = [
    { name: DEFAULT_ENDPOINTS.local, kind: 'ollama' as const },
    { name: DEFAULT_ENDPOINTS.cloud, kind: 'bedrock' as const },
  ];
  return { all, get: (name) => all.find((e) => e.name === name) };
})();

/** A conversation's (or a campaign pair's) sides, as far as endpoints go. */
export interface SidesWithEndpoints {
  cloud?: { endpoint?: string };
  local?: { endpoint?: string };
}

/** The `<side>.endpoint` fields that name no endpoint the side can call, with why (paths under `prefix`). */
export function endpointIssues(
  catalog: EndpointCatalog,
  sides: SidesWithEndpoints,
  prefix = '',
): { path: string; message: string }[] {
  return (['cloud', 'local'] as const).flatMap((side) => {
    const name = sides[side]?.endpoint;
    const problem = name === undefined ? undefined : endpointProblem(catalog, side, name);
    return problem ? [{ path: `${prefix}${side}.endpoint`, message: problem }] : [];
  });
}

/** Why a conversation's `<side>.endpoint` cannot be `name`, or undefined when it can. */
export function endpointProblem(endpoints: EndpointCatalog, side: Side, name: string): string | undefined {
  const endpoint = endpoints.get(name);
  if (!endpoint) {
    return `no model endpoint is named "${name}" (known: ${endpoints.all.map((e) => e.name).join(', ')})`;
  }
  if (!SIDE_KINDS[side].includes(endpoint.kind)) {
    return `"${name}" is an ${endpoint.kind} endpoint; the ${side} side calls ${SIDE_KINDS[side].join(' or ')} endpoints`;
  }
  return undefined;
}

/**
 * The task queue an endpoint's calls run on while it is capped: each side's default keeps its queue
 * (TEMPORAL_CLOUD_TASK_QUEUE, TEMPORAL_LOCAL_TASK_QUEUE), another endpoint has `llm-calls-<name>`, whichever side
 * calls it, so its caps hold for both.
 */
export function endpointTaskQueue(
  endpoint: Pick<ModelEndpoint, 'name'>,
  config: Pick<Config, 'TEMPORAL_CLOUD_TASK_QUEUE' | 'TEMPORAL_LOCAL_TASK_QUEUE'>,
): string {
  if (endpoint.name === DEFAULT_ENDPOINTS.cloud) return config.TEMPORAL_CLOUD_TASK_QUEUE;
  if (endpoint.name === DEFAULT_ENDPOINTS.local) return config.TEMPORAL_LOCAL_TASK_QUEUE;
  return `llm-calls-${endpoint.name}`;
}

/** A cap needs a task queue of its own, which costs each call a trip through matching instead of an eager start. */
export function isCapped(caps: Pick<EndpointCaps, 'maxConcurrentCalls' | 'maxCallsPerSecond'>): boolean {
  return caps.maxConcurrentCalls > 0 || caps.maxCallsPerSecond > 0;
}

/** The two endpoints the environment defines. */
export function defaultEndpoints(config: Config): { local: ModelEndpoint; cloud: ModelEndpoint } {
  return {
    local: {
      name: DEFAULT_ENDPOINTS.local,
      kind: 'ollama',
      ...oneServer(config.OLLAMA_HOST, defaultCaps('ollama', config)),
      contextTokens: config.LOCAL_CONTEXT_TOKENS,
    },
    cloud: {
      name: DEFAULT_ENDPOINTS.cloud,
      kind: 'bedrock',
      ...oneServer(config.LLM_SERVICE_URL, defaultCaps('bedrock', config)),
      ...(config.API_KEY === undefined ? {} : { apiKeyEnv: 'API_KEY' }),
      contextTokens: config.CLOUD_CONTEXT_TOKENS,
    },
  };
}

/**
 * The endpoints of a file's text (`source` names it in errors) beside the defaults. `bedrock` endpoints without a
 * baseUrl are the Lambda path at LLM_SERVICE_URL.
 */
export function parseModelEndpoints(text: string, source: string, config: Config): ModelEndpoints {
  const where = `MODEL_ENDPOINTS_FILE ${source}`;
  let raw: unknown;
  try {
    raw = /\.json$/i.test(source) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `${where}: not ${/\.json$/i.test(source) ? 'JSON' : 'YAML'} (${(err as Error).message})`,
    );
  }
  const parsed = file.safeParse(raw);
  if (!parsed.success) {
    const entries = (raw as { endpoints?: unknown } | null)?.endpoints;
    const problems = parsed.error.issues.map((issue) => `${fieldOf(issue.path, entries)}: ${issue.message}`);
    throw new ConfigError(`${where}: ${problems.join('; ')}`);
  }
  const defaults = defaultEndpoints(config);
  const listed: ModelEndpoint[] = parsed.data.endpoints.map((e) => {
    const kindCaps = defaultCaps(e.kind, config);
    const common = {
      name: e.name,
      kind: e.kind,
      contextTokens: e.contextTokens ?? DEFAULT_CONTEXT_TOKENS,
      ...(e.apiKeyEnv === undefined ? {} : { apiKeyEnv: e.apiKeyEnv }),
      ...(e.kind === 'openai' ? { api: e.api ?? 'chat' } : {}),
      ...(e.model === undefined ? {} : { model: e.model }),
    };
    if (e.baseUrls === undefined) {
      return { ...common, ...oneServer(e.baseUrl ?? config.LLM_SERVICE_URL, { ...kindCaps, ...e.caps }) };
    }
    const replicas = e.baseUrls.map((r) =>
      typeof r === 'string'
        ? { url: r, maxConcurrentCalls: kindCaps.maxConcurrentCalls }
        : { url: r.url, maxConcurrentCalls: r.maxConcurrentCalls ?? kindCaps.maxConcurrentCalls },
    );
    // The endpoint's own limit, unless the file gives one: all of its replicas' slots, or none if one has no limit.
    const slots = replicas.some((r) => r.maxConcurrentCalls === 0)
      ? 0
      : replicas.reduce((n, r) => n + r.maxConcurrentCalls, 0);
    return {
      ...common,
      baseUrl: replicas[0]!.url,
      replicas,
      routing: e.routing ?? 'affinity',
      caps: { ...kindCaps, maxConcurrentCalls: slots, ...e.caps },
    };
  });
  return endpointSet(defaults, listed);
}

/** An endpoint of one server: one replica with the endpoint's own concurrency cap. */
function oneServer(url: string, caps: EndpointCaps) {
  return {
    baseUrl: url,
    replicas: [{ url, maxConcurrentCalls: caps.maxConcurrentCalls }],
    routing: 'affinity' as ReplicaRouting,
    caps,
  };
}

/** The defaults alone when MODEL_ENDPOINTS_FILE is unset, else the file's endpoints beside them. */
export function loadModelEndpoints(config: Config, fileName: string | undefined): ModelEndpoints {
  if (!fileName) return endpointSet(defaultEndpoints(config), []);
  if (!/\.(json|ya?ml)$/i.test(fileName)) {
    throw new ConfigError(`MODEL_ENDPOINTS_FILE ${fileName}: must end in .json, .yaml or .yml`);
  }
  let text: string;
  try {
    text = readFileSync(fileName, 'utf8');
  } catch (err) {
    throw new ConfigError(`MODEL_ENDPOINTS_FILE ${fileName}: cannot be read (${(err as Error).message})`);
  }
  return parseModelEndpoints(text, fileName, config);
}

/**
 * The endpoint's API key, from the variable it names; undefined when it names none. A named variable that is unset
 * or empty is a ConfigError (naming the variable, never showing a value), raised where the client is built.
 */
export function endpointApiKey(
  endpoint: ModelEndpoint,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (endpoint.apiKeyEnv === undefined) return undefined;
  const key = env[endpoint.apiKeyEnv];
  if (!key) {
    throw new ConfigError(
      `Model endpoint "${endpoint.name}": its apiKeyEnv ${endpoint.apiKeyEnv} is not set in the environment`,
    );
  }
  return key;
}

function endpointSet(
  defaults: { local: ModelEndpoint; cloud: ModelEndpoint },
  listed: ModelEndpoint[],
): ModelEndpoints {
  const all = [defaults.local, defaults.cloud, ...listed];
  const byName = new Map(all.map((e) => [e.name, e]));
  return { all, defaults, get: (name) => byName.get(name) };
}

/** `endpoints[2] ("gpu-fleet").caps.maxConcurrentCalls`: the index, and the name when the entry has one. */
function fieldOf(issuePath: readonly PropertyKey[], entries: unknown): string {
  const [root, index, ...rest] = issuePath;
  if (root !== 'endpoints' || typeof index !== 'number') return issuePath.map(String).join('.') || '(file)';
  const name = Array.isArray(entries) ? (entries[index] as { name?: unknown } | undefined)?.name : undefined;
  const entry = `endpoints[${index}]${typeof name === 'string' ? ` ("${name}")` : ''}`;
  return [entry, ...rest.map(String)].join('.');
}
