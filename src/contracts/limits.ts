/**
 * Limits and defaults shared by every side of the system (the Conversation API and CLI, the workflow, the
 * activities, the LLM REST service and the Lambda). Each value is written here once. Pure: the workflow
 * sandbox and the Lambda bundle import it.
 */

/** Where the local model server answers when OLLAMA_HOST is not set (the Lambda's Ollama provider too). */
export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** The model both Ollama sides use when OLLAMA_MODEL is not set: the one `npm run setup` imports. */
export const DEFAULT_OLLAMA_MODEL = 'gemma3:270m';
/**
 * The slots (`OLLAMA_NUM_PARALLEL`) the stack's Ollama serves at once: generated tokens per second grow with them
 * on a 2-core machine up to 8 (docs/performance.md). Each side's concurrency cap defaults to them: in the local
 * stack both sides call this Ollama (the cloud side through the Lambda's Ollama provider), and a conversation
 * alternates between them, so together the caps fill every slot whatever the mix, with at most one call per slot
 * waiting in Ollama's queue.
 */
export const DEFAULT_OLLAMA_NUM_PARALLEL = 8;

/**
 * A model endpoint's name (MODEL_ENDPOINTS_FILE; a conversation's `cloud.endpoint`, `local.endpoint`): it becomes
 * part of a task queue's name and a metric label. A pattern's source, not a RegExp: the workflow bundle freezes this
 * module, and a frozen RegExp cannot be matched (its `lastIndex` cannot be set).
 */
export const ENDPOINT_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,47}$';
export const ENDPOINT_NAME_RULE =
  'must be 1 to 48 lower-case letters, digits, - or _, starting with a letter or digit';
/** The endpoints the environment defines for each side when a conversation names none. */
export const DEFAULT_ENDPOINTS = { cloud: 'cloud', local: 'local' } as const;

/** Bedrock's largest output limit across its chat models; every schema caps maxTokens here. */
export const MAX_OUTPUT_TOKENS = 8192;
/** The cloud answer's length when nobody sets it: the original service's default (`CLOUD_MAX_TOKENS`). */
export const DEFAULT_CLOUD_MAX_TOKENS = 150;
/** The local model's question length when nobody sets it (`LOCAL_MAX_TOKENS`). */
export const DEFAULT_LOCAL_MAX_TOKENS = 96;

/**
 * A model endpoint's context window in tokens (`contextTokens`, LOCAL_/CLOUD_CONTEXT_TOKENS) when nobody sets it:
 * Ollama's own default context length (v0.6 and later), so a prompt kept within it is never truncated by Ollama,
 * which would cut its start and with it the cached prefix. Raise it with the server's (OLLAMA_CONTEXT_LENGTH,
 * vLLM's --max-model-len) and the model's.
 */
export const DEFAULT_CONTEXT_TOKENS = 4096;
/** Below this, a prompt would hold little more than the system prompt and one reply. */
export const MIN_CONTEXT_TOKENS = 1024;
export const MAX_CONTEXT_TOKENS = 10_000_000;

/** Bedrock Converse's temperature range. */
export const CLOUD_TEMPERATURE = { min: 0, max: 1 } as const;
/** Ollama's. */
export const LOCAL_TEMPERATURE = { min: 0, max: 2 } as const;
/** The original REST service's default temperature. */
export const DEFAULT_TEMPERATURE = 0.7;
/** The local model's temperature when the conversation sets none (Ollama's own default). */
export const DEFAULT_LOCAL_TEMPERATURE = 0.8;

/** One message's text, and all of a request's text together, as the REST service and the Lambda accept it. */
export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_MESSAGES = 200;
export const MAX_MODEL_ID_CHARS = 256;
export const MAX_SYSTEM_PROMPT_CHARS = 4000;

export const MAX_QUERY_CHARS = 8000;
export const MAX_TURNS = 200;
export const DEFAULT_MAX_TURNS = 5;
export const DEFAULT_TIMEOUT_MINUTES = 30;
export const MAX_TIMEOUT_MINUTES = 24 * 60;

/**
 * A requested output file name (relative to OUTPUT_DIR), and each of its `/`-separated parts. A part stays well
 * under the file systems' 255-byte name limit, leaving room for the `.jsonl` twin and the export's temp name
 * (`.<name>.<uuid>.tmp`, 42 characters more).
 */
export const MAX_OUTPUT_FILE_CHARS = 255;
export const MAX_OUTPUT_NAME_PART_CHARS = 200;

/** Whether CSV text cells that a spreadsheet would evaluate as a formula are escaped (`CSV_ESCAPE_FORMULAS`). */
export const DEFAULT_CSV_ESCAPE_FORMULAS = true;

/** Requests per minute one client may make to the Conversation API (`CONVERSATION_API_RATE_LIMIT_PER_MINUTE`). */
export const DEFAULT_API_RATE_LIMIT_PER_MINUTE = 120;
/** Conversations that may run at once before `POST /conversation` answers 429 (`CONVERSATION_MAX_RUNNING`). */
export const DEFAULT_MAX_RUNNING_CONVERSATIONS = 1000;

/** The local Bedrock batch stand-in's port (`BEDROCK_BATCH_PORT`): read by the stand-in and by the local stack. */
export const DEFAULT_BEDROCK_BATCH_PORT = 3001;

/**
 * A model server that answers 200 with a body that is not the reply its API defines (not JSON, not the shape, not
 * decodable protobuf) gets this many activity attempts for the call: a proxy's passing fault is retried, a server
 * that always answers so ends the item after the last, with a non-retryable failure that says why.
 */
export const BAD_REPLY_MAX_ATTEMPTS = 3;
