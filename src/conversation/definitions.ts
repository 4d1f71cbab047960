/**
 * The conversation's contract, shared by the workflow (inside Temporal's sandbox), the activities,
 * the worker and the API. Pure: no Node built-ins, so the workflow bundle can import it. The input's own rules
 * and schemas live in input.ts.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const WORKFLOW_TYPE = 'conversationWorkflow';
export const WORKFLOW_ID_PREFIX = 'conversation-';

export { DEFAULT_MAX_TURNS, DEFAULT_TIMEOUT_MINUTES } from '../contracts/limits';
export {
  DEFAULT_REPETITION_THRESHOLD,
  DEFAULT_REPETITION_WINDOW,
  DEFAULT_LOCAL_SYSTEM_PROMPT,
  DEFAULT_QUESTION_TEMPLATE,
  ANSWER_PLACEHOLDER,
  renderQuestionPrompt,
  MAX_TRANSCRIPT_TOKENS,
  outputFileProblem,
  defaultOutputFile,
  inputSchemas,
} from './input';
export type { CloudOptions, ConversationInput, LocalOptions } from './input';

/** 'cancelled' only appears in the exported JSONL: a cancelled workflow exports, then fails as cancelled. */
export type EndReason =
  'max_turns' | 'stop_signal' | 'stop_phrase' | 'repetition' | 'timeout' | 'error' | 'cancelled';
export type ConversationStatus = 'running' | 'paused' | 'stopping' | 'exporting' | 'completed';

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
}

/** ApplicationFailure types thrown by the activities and the workflow. */
export const FailureType = {
  CloudRejected: 'CloudRequestRejected',
  CloudUnavailable: 'CloudUnavailable',
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
export const stopSignal = defineSignal('stop');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
