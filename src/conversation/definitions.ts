/**
 * The conversation's contract, shared by the workflow (inside Temporal's sandbox), the activities,
 * the worker and the API. Pure: no Node built-ins, so the workflow bundle can import it.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

export const WORKFLOW_TYPE = 'conversationWorkflow';
export const WORKFLOW_ID_PREFIX = 'conversation-';

/** Used by the workflow when it is started without them (e.g. `temporal workflow start`); the API fills them from config. */
export const DEFAULT_MAX_TURNS = 5;
export const DEFAULT_TIMEOUT_MINUTES = 30;

const CONVERSATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FILE_SEGMENT = /^[\w.@+-]+$/u;

/**
 * Why a requested output file name cannot be used, or undefined when it is a safe relative `.csv`
 * path that stays inside the output folder. Checked on the string alone (no `path`), so the same
 * rule runs in the API, the workflow sandbox and the export activity.
 */
export function outputFileProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 255) return 'must be 1..255 characters';
  if (name.includes('\0')) return 'must not contain NUL';
  if (name.includes('\\')) return 'must not contain backslashes';
  if (name.startsWith('/')) return 'must be a relative path inside the output folder';
  if (!name.toLowerCase().endsWith('.csv')) return 'must end with .csv';
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return 'must not contain ".." segments';
  if (segments.some((s) => s === '' || s === '.' || !FILE_SEGMENT.test(s))) {
    return 'path segments may only use letters, digits and . _ - @ +';
  }
  return undefined;
}

export const conversationIdSchema = z
  .string()
  .regex(
    CONVERSATION_ID,
    'must be 1..128 characters of letters, digits, . _ - (starting with a letter or digit)',
  );

export const conversationInputSchema = z
  .object({
    initialQuery: z.string().trim().min(1).max(8000),
    outputFile: z
      .string()
      .superRefine((name, ctx) => {
        const problem = outputFileProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    maxTurns: z.number().int().min(1).max(200).optional(),
    conversationId: conversationIdSchema.optional(),
    timeoutMinutes: z
      .number()
      .min(0.1)
      .max(24 * 60)
      .optional(),
    delayBetweenTurnsMs: z
      .number()
      .int()
      .min(0)
      .max(60 * 60_000)
      .optional(),
    temperature: z.number().min(0).max(1).optional(),
    systemPrompt: z.string().min(1).max(4000).optional(),
    localModel: z.string().min(1).max(200).optional(),
    stopPhrases: z.array(z.string().min(1).max(200)).max(20).optional(),
  })
  .strict();

export type ConversationInput = z.infer<typeof conversationInputSchema>;

/** 'cancelled' only appears in the exported JSONL: a cancelled workflow exports, then fails as cancelled. */
export type EndReason = 'max_turns' | 'stop_signal' | 'stop_phrase' | 'timeout' | 'error' | 'cancelled';
export type ConversationStatus = 'running' | 'stopping' | 'exporting' | 'completed';

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
  turns: Turn[];
  completedTurns: number;
  maxTurns: number;
}

export interface ConversationResult {
  conversationId: string;
  endReason: EndReason;
  turns: Turn[];
  completedTurns: number;
  csvPath: string;
  jsonlPath: string;
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
