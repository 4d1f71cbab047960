/**
 * What a conversation run holds: its settings (the input with its defaults), its state, and the views of both
 * that the `transcript` query and the Web UI's current details show.
 */
import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import {
  DEFAULT_MAX_TURNS,
  DEFAULT_REPETITION_THRESHOLD,
  DEFAULT_REPETITION_WINDOW,
  DEFAULT_TIMEOUT_MINUTES,
  FailureType,
  inputSchemas,
} from '../../contracts/conversation';
import type {
  ConversationInput,
  ConversationStatus,
  EndReason,
  NoveltySettings,
  TranscriptState,
  Turn,
  UnrecordedCall,
} from '../../contracts/conversation';
import type { CloudBatchAnswer, CloudBatchRoute } from '../../contracts/batcher';
import { MAX_TIMEOUT_MINUTES } from '../../contracts/limits';
import type { ProviderTaskQueues } from '../activities/types';
import { staticSummary } from '../summary';

export type Settings = ConversationInput & {
  conversationId: string;
  maxTurns: number;
  timeoutMinutes: number;
  repetitionThreshold: number;
  repetitionWindow: number;
};

export interface State {
  turns: Turn[];
  paused: boolean;
  stopRequested: boolean;
  /** The stop came from the campaign's budget: the run ends as `budget`, not `stop_signal`. */
  stopForBudget: boolean;
  /** The novelty guard's settings; unset when it is off. */
  novelty?: NoveltySettings;
  /** Calls whose replies are in no turn (see UnrecordedCall). */
  unrecorded: UnrecordedCall[];
  deadline: number;
  runs: number;
  phase: 'talking' | 'exporting' | 'completed';
  endReason?: EndReason;
  /** Batch mode: the batcher's answers by turn, with the workflow time each arrived. */
  batchAnswers: Map<number, CloudBatchAnswer & { receivedAt: number }>;
}

/** One run of a conversation, as its phases see it. */
export interface ConversationRun {
  settings: Settings;
  state: State;
  /** Where its model calls go, as its worker said when the conversation started. */
  queues: ProviderTaskQueues;
  /** A batch campaign's conversation: its cloud turns go through the campaign's batcher. */
  route?: CloudBatchRoute;
  showDetails: () => void;
}

/** How a run's turn loop ends when the run goes on in a new one (see TURNS_PER_RUN). */
export const CONTINUE_AS_NEW = 'continue_as_new';
export type LoopEnd = EndReason | typeof CONTINUE_AS_NEW;

/**
 * The input with its defaults. The API validates before starting; this covers starts from the Temporal CLI or UI
 * (and a run that continued as new, whose input is these settings).
 */
export function withDefaults(rawInput: ConversationInput, batch: boolean): Settings {
  const parsed = inputSchemas().conversationInput.safeParse(rawInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw ApplicationFailure.nonRetryable(
      `Invalid conversation input: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      FailureType.InvalidInput,
    );
  }
  const input = parsed.data;
  return {
    ...input,
    conversationId: input.conversationId ?? workflowInfo().workflowId,
    maxTurns: input.maxTurns ?? DEFAULT_MAX_TURNS,
    // A batch turn waits for its job (minutes to hours): unless the campaign says otherwise, the longest timeout.
    timeoutMinutes: input.timeoutMinutes ?? (batch ? MAX_TIMEOUT_MINUTES : DEFAULT_TIMEOUT_MINUTES),
    repetitionThreshold: input.repetitionThreshold ?? DEFAULT_REPETITION_THRESHOLD,
    repetitionWindow: input.repetitionWindow ?? DEFAULT_REPETITION_WINDOW,
  };
}

function status(state: State): ConversationStatus {
  if (state.phase !== 'talking') return state.phase;
  if (state.stopRequested) return 'stopping';
  return state.paused ? 'paused' : 'running';
}

export function transcript(settings: Settings, state: State): TranscriptState {
  return {
    status: status(state),
    paused: state.paused,
    turns: state.turns,
    completedTurns: state.turns.length,
    maxTurns: settings.maxTurns,
    deadline: new Date(state.deadline).toISOString(),
    ...(state.endReason ? { endReason: state.endReason } : {}),
  };
}

/**
 * The Web UI's "current details" of the run: progress, then the summary (a run that continued-as-new has no
 * static summary of its own, SDK 1.24's continueAsNew cannot set one).
 */
export function currentDetails(settings: Settings, state: State): string {
  const progress = `turn ${state.turns.length} of ${settings.maxTurns}`;
  const line = state.endReason
    ? `**${status(state)}** · ${progress} · ended by \`${state.endReason}\``
    : `**${status(state)}** · ${progress} · times out at ${new Date(state.deadline).toISOString()}`;
  const run = state.runs ? ` · run ${state.runs + 1} (continued as new)` : '';
  return `${line}${run}\n\n${staticSummary(settings)}`;
}

export function describeFailure(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof Error) {
    const type = cause instanceof ApplicationFailure ? (cause.type ?? cause.name) : cause.name;
    return { type, message: cause.message };
  }
  return { type: 'Error', message: String(cause) };
}
