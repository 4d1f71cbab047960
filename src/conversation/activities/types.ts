/** Activity inputs and outputs. Type-only, so the workflow may import it (the workflow bundle never loads activity code). */
import type { ChatMessage } from '../../contracts/chat';
import type { Exchange } from '../../models/base-model-prompt';
import type { CallMode, EndReason, TokenUsage, Turn } from '../../contracts/conversation';

export interface AskCloudInput {
  /** The conversation as far as its context keeps it, ending with the query to answer. */
  messages: ChatMessage[];
  system?: string;
  temperature?: number;
  /** Unset: the cloud side's default (BEDROCK_MODEL_ID in the Lambda). */
  model?: string;
  /** Unset: the worker's CLOUD_MAX_TOKENS. */
  maxTokens?: number;
  /** The turn this call belongs to (from 1), for traces and metrics; unset: a call outside a conversation's turns. */
  turn?: number;
  /** The model endpoint to call (the conversation's `cloud.endpoint`); unset: the cloud side's default. */
  endpoint?: string;
}

export interface AskCloudOutput {
  response: string;
  model: string;
  usage: TokenUsage;
  /** USD for this call from MODEL_PRICES_FILE; 0 with `priced: false` when the model has no price there. */
  costUsd: number;
  priced: boolean;
  latencyMs: number;
  requestId: string;
  /** ISO 8601 UTC, when this (successful) attempt started; for a batch answer, when the turn asked the batcher. */
  startedAt: string;
  /** Set in batch campaigns (see CloudBatchRoute). */
  mode?: CallMode;
  /** A batch answer's tokens at the on-demand price. */
  onDemandCostUsd?: number;
  /** Which of the endpoint's replicas answered (its position in `baseUrls`); unset for an endpoint of one server. */
  replica?: number;
}

export interface AskLocalInput {
  /** The exchanges before `question` that the conversation's context keeps (oldest first); unset: none. */
  history?: Exchange[];
  /** The last question, and the answer to follow up on. */
  question: string;
  answer: string;
  /** Unset: the worker's OLLAMA_MODEL. */
  model?: string;
  /** Unset: DEFAULT_LOCAL_SYSTEM_PROMPT. */
  systemPrompt?: string;
  /** Unset: the model's own default. */
  temperature?: number;
  /** Unset: the worker's LOCAL_MAX_TOKENS. */
  maxTokens?: number;
  /** Unset: DEFAULT_QUESTION_TEMPLATE. */
  questionTemplate?: string;
  /** Set when the novelty guard refused the question before: this call asks for a new one (see resample-prompt.ts). */
  resample?: LocalResample;
  /** The turn this call belongs to (from 1), for traces and metrics; unset: a call outside a conversation's turns. */
  turn?: number;
  /** The model endpoint to call (the conversation's `local.endpoint`); unset: the local side's default. */
  endpoint?: string;
}

export interface LocalResample {
  /** From 1. */
  attempt: number;
  /** The model server's sampling seed for this call. */
  seed: number;
  /** The questions asked so far, the seed first. */
  asked: string[];
  /** The question the guard refused. */
  refused: string;
}

export interface AskLocalOutput {
  /** The local model's follow-up question: the next turn's query. */
  question: string;
  model: string;
  usage: TokenUsage;
  /** USD for this call from MODEL_PRICES_FILE; 0 with `priced: false` when the model has no price there. */
  costUsd: number;
  priced: boolean;
  latencyMs: number;
  /** ISO 8601 UTC, when the local model finished. */
  finishedAt: string;
  /** Which of the endpoint's replicas answered (its position in `baseUrls`); unset for an endpoint of one server. */
  replica?: number;
}

/** Where the conversation's model calls go (see ProviderQueueDeps), and how much context each side's endpoint has. */
export interface ProviderTaskQueues {
  cloud: string;
  local: string;
  /** Unset: each side gets the default window (DEFAULT_CONTEXT_TOKENS, the default reply lengths). */
  context?: ConversationContext;
}

/** An endpoint's context window, and the reply length a conversation that sets none gets there (the worker's). */
export interface SideContext {
  contextTokens: number;
  maxTokens: number;
}

export interface ConversationContext {
  cloud: SideContext;
  local: SideContext;
}

/** The endpoints a conversation names for its sides (`cloud.endpoint`, `local.endpoint`). */
export interface ChosenEndpoints {
  cloud?: string;
  local?: string;
}

export interface ExportTranscriptInput {
  conversationId: string;
  outputFile?: string;
  endReason: EndReason;
  turns: Turn[];
}

export interface ExportTranscriptOutput {
  csvPath: string;
  jsonlPath: string;
  /** Set when the requested outputFile could not be written and the export fell back to `<conversationId>.csv`. */
  requestedOutputFile?: string;
  /** Why, in words, when it fell back. */
  exportNote?: string;
}
