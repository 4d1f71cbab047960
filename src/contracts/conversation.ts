/**
 * The conversation's contract, shared by the workflow (inside Temporal's sandbox), the activities,
 * the worker and the API. Pure: no Node built-ins, so the workflow bundle can import it. The input's own rules
 * and schemas live in conversation-input.ts.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const WORKFLOW_TYPE = 'conversationWorkflow';
export const WORKFLOW_ID_PREFIX = 'conversation-';

export { DEFAULT_MAX_TURNS, DEFAULT_TIMEOUT_MINUTES } from './limits';
export {
  DEFAULT_REPETITION_THRESHOLD,
  DEFAULT_REPETITION_WINDOW,
  DEFAULT_NOVELTY,
  DEFAULT_LOCAL_SYSTEM_PROMPT,
  DEFAULT_QUESTION_TEMPLATE,
  ANSWER_PLACEHOLDER,
  renderQuestionPrompt,
  MAX_TRANSCRIPT_TOKENS,
  outputFileProblem,
  defaultOutputFile,
  inputSchemas,
} from './conversation-input';
export type {
  CloudOptions,
  ConversationInput,
  LocalOptions,
  NoveltyOption,
  NoveltySettings,
} from './conversation-input';

/**
 * 'cancelled' only appears in the exported JSONL: a cancelled workflow exports, then fails as cancelled.
 * 'budget': the conversation's `maxTotalTokens` was reached, or its campaign's budget stopped it.
 */
export type EndReason =
  'max_turns' | 'stop_signal' | 'stop_phrase' | 'repetition' | 'timeout' | 'error' | 'cancelled' | 'budget';
export type ConversationStatus = 'running' | 'paused' | 'stopping' | 'exporting' | 'completed';

/** How a cloud call was answered: one request on demand, or a record of a Bedrock batch inference job. */
export type CallMode = 'on_demand' | 'batch';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface Turn {
  turn: number;
  /** ISO 8601 UTC, when askCloud started the turn. */
  timestamp: string;
  query: string;
  cloudResponse: string;
  localResponse: string;
  /** Turn wall time: askLocal finished − askCloud started. */
  processingTimeMs: number;
  cloudModel: string;
  localModel: string;
  cloudLatencyMs: number;
  localLatencyMs: number;
  cloudUsage: TokenUsage;
  localUsage: TokenUsage;
  /**
   * USD for each side's call, from MODEL_PRICES_FILE; `priced: false` when the model has no price there (it then
   * costs 0). Unset in turns recorded before prices existed.
   */
  cloudCost?: CallCost;
  localCost?: CallCost;
  /**
   * Replies the novelty guard refused in this turn and asked for again, each its own model call (whose tokens and
   * cost the turn's usage includes). Unset when there were none.
   */
  resamples?: { cloud: number; local: number };
  /** In a batch campaign: how the cloud side answered (`cloudLatencyMs` of a batch turn is the wait for its job). */
  cloudMode?: CallMode;
  /** A batch turn's cloud tokens at the on-demand price, to compare with `cloudCost`. */
  cloudOnDemandCostUsd?: number;
  /**
   * On an endpoint of several replicas (`baseUrls`): the one that answered the side's call, by its position in
   * `baseUrls`. Unset for an endpoint of one server.
   */
  cloudReplica?: number;
  localReplica?: number;
}

export interface CallCost {
  costUsd: number;
  priced: boolean;
}

export interface TranscriptState {
  status: ConversationStatus;
  /** A `pause` signal holds the run before its next turn until `resume` (or `stop`, or the timeout). */
  paused: boolean;
  turns: Turn[];
  completedTurns: number;
  maxTurns: number;
  /** ISO 8601 UTC: when the conversation's timeout fires (paused time counts). */
  deadline: string;
  /** Set once the conversation has ended (status `exporting` or `completed`). */
  endReason?: EndReason;
}

/**
 * What a run hands to the next one when it continues-as-new: the turns so far, the signals received, and the
 * absolute deadline (so the timeout is not restarted). Internal: the workflow's second argument.
 */
export interface ConversationContinuation {
  turns: Turn[];
  paused: boolean;
  stopRequested: boolean;
  /** The stop was the campaign's budget. */
  stopForBudget: boolean;
  /** Where the model calls run, as the first run's worker said (the `providerTaskQueues` local activity). */
  taskQueues: { cloud: string; local: string };
  /** Epoch milliseconds. */
  deadline: number;
  /** How many runs came before this one. */
  runs: number;
}

export interface ConversationResult {
  conversationId: string;
  endReason: EndReason;
  turns: Turn[];
  completedTurns: number;
  maxTurns: number;
  csvPath: string;
  jsonlPath: string;
  /**
   * Set when the requested outputFile could not be written (e.g. its folder is a symlink): the transcript is then
   * at `<conversationId>.csv` at the top of OUTPUT_DIR (csvPath), and exportNote says why.
   */
  requestedOutputFile?: string;
  exportNote?: string;
  averageProcessingTimeMs: number;
  /** Set when endReason is 'error': the failure that ended the conversation. */
  error?: { type: string; message: string };
  /**
   * Tokens of every turn, per side; USD from MODEL_PRICES_FILE, where models without a price cost 0 and are listed
   * in unpricedModels. Unset in the results of conversations that ended before these existed.
   */
  usage?: { cloud: TokenUsage; local: TokenUsage };
  costUsd?: number;
  /** `costUsd` per side: each call at the price of the way it was answered (a batch turn at the batch price). */
  costUsdBySide?: { cloud: number; local: number };
  unpricedModels?: string[];
  /** In a batch campaign: what the turns would have cost all on demand, and how many were answered in a batch. */
  onDemandCostUsd?: number;
  batchTurns?: number;
}

/** The `stop` signal's optional argument: a campaign stopping its conversations at its budget says so. */
export interface StopRequest {
  reason?: 'budget';
}

/**
 * A model call whose reply is in no turn: the cloud answer the novelty guard still refused after its resamples,
 * which ends the conversation before the turn is complete. Its tokens and cost still count.
 */
export interface UnrecordedCall {
  side: 'cloud' | 'local';
  model: string;
  usage: TokenUsage;
  cost: CallCost;
}

/** Token and cost totals of a conversation's turns (and of its calls that are in no turn). */
export function usageTotals(
  turns: Turn[],
  unrecorded: readonly UnrecordedCall[] = [],
): Required<Pick<ConversationResult, 'usage' | 'costUsd' | 'costUsdBySide' | 'unpricedModels'>> &
  Pick<ConversationResult, 'onDemandCostUsd' | 'batchTurns'> {
  const usage = { cloud: { inputTokens: 0, outputTokens: 0 }, local: { inputTokens: 0, outputTokens: 0 } };
  const costUsdBySide = { cloud: 0, local: 0 };
  let onDemandCostUsd = 0;
  let batchTurns = 0;
  let batchCampaign = false;
  const unpriced = new Set<string>();
  for (const call of unrecorded) {
    usage[call.side].inputTokens += call.usage.inputTokens;
    usage[call.side].outputTokens += call.usage.outputTokens;
    costUsdBySide[call.side] += call.cost.costUsd;
    onDemandCostUsd += call.cost.costUsd;
    if (!call.cost.priced) unpriced.add(call.model);
  }
  for (const t of turns) {
    if (t.cloudMode) batchCampaign = true;
    if (t.cloudMode === 'batch') batchTurns += 1;
    onDemandCostUsd += (t.cloudOnDemandCostUsd ?? t.cloudCost?.costUsd ?? 0) + (t.localCost?.costUsd ?? 0);
    usage.cloud.inputTokens += t.cloudUsage.inputTokens;
    usage.cloud.outputTokens += t.cloudUsage.outputTokens;
    usage.local.inputTokens += t.localUsage.inputTokens;
    usage.local.outputTokens += t.localUsage.outputTokens;
    costUsdBySide.cloud += t.cloudCost?.costUsd ?? 0;
    costUsdBySide.local += t.localCost?.costUsd ?? 0;
    if (t.cloudCost?.priced === false) unpriced.add(t.cloudModel);
    if (t.localCost?.priced === false) unpriced.add(t.localModel);
  }
  return {
    usage,
    costUsd: costUsdBySide.cloud + costUsdBySide.local,
    costUsdBySide,
    unpricedModels: [...unpriced].sort(),
    ...(batchCampaign ? { onDemandCostUsd, batchTurns } : {}),
  };
}

/** Input + output tokens of both sides, what `maxTotalTokens` counts. */
export function totalTokens(turns: Turn[]): number {
  return turns.reduce(
    (n, t) =>
      n +
      t.cloudUsage.inputTokens +
      t.cloudUsage.outputTokens +
      t.localUsage.inputTokens +
      t.localUsage.outputTokens,
    0,
  );
}

/** ApplicationFailure types thrown by the activities and the workflow. */
export const FailureType = {
  CloudRejected: 'CloudRequestRejected',
  CloudUnavailable: 'CloudUnavailable',
  /** The worker's CLOUD_MAX_TOKENS_PER_MINUTE would hold the call longer than its attempt: retried later. */
  CloudThrottled: 'CloudTokensPerMinuteReached',
  LocalRejected: 'LocalRequestRejected',
  LocalUnavailable: 'LocalModelUnavailable',
  EmptyOutput: 'EmptyModelOutput',
  InvalidOutputPath: 'InvalidOutputPath',
  InvalidInput: 'InvalidConversationInput',
} as const;

/** Permanent failures: retrying cannot help, so the activity retry policies list them as non-retryable. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = [
  FailureType.CloudRejected,
  FailureType.LocalRejected,
  FailureType.InvalidOutputPath,
];

export function averageProcessingTimeMs(turns: Turn[]): number {
  if (turns.length === 0) return 0;
  return Math.round(turns.reduce((sum, t) => sum + t.processingTimeMs, 0) / turns.length);
}

export const transcriptQuery = defineQuery<TranscriptState>('transcript');
export const stopSignal = defineSignal<[StopRequest?]>('stop');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
