/**
 * What a campaign run holds, what it hands to the next run, and the views of it: the status query and the Web UI's
 * current details.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import type { CancellationScope, ChildWorkflowHandle, ExternalWorkflowHandle } from '@temporalio/workflow';
import type { CloudBatchRoute } from '../../../contracts/batcher';
import type {
  CampaignCounts,
  CampaignFailure,
  CampaignItem,
  CampaignStatus,
  CampaignStatusView,
  CampaignStopReason,
  CampaignTotals,
  ItemOutcome,
} from '../../../contracts/campaign';
import type { CampaignSpec } from '../../../contracts/campaign-spec';
import type { ProviderTaskQueues } from '../../../conversation/activities/types';
import type { conversationWorkflow } from '../../../conversation/workflows/conversation';

/** What a run hands to the next when it continues-as-new. Internal: the workflow's second argument. */
export interface CampaignContinuation {
  itemCount: number;
  /** ISO 8601 UTC, when the campaign's first run started. */
  startedAt: string;
  /** The index of the next item to start. */
  cursor: number;
  counts: Pick<CampaignCounts, 'completed' | 'failed' | 'skipped'>;
  totals: CampaignTotals;
  paused: boolean;
  cancelRequested: boolean;
  stopReason?: CampaignStopReason;
  /** Outcomes not yet in manifest.json: the next run's checkpoints write them. */
  unsaved: ItemOutcome[];
  /** The status the last checkpoint wrote. */
  checkpointed?: CampaignStatus;
  /** Where the judge's calls go (a spec with a judge). */
  taskQueues?: ProviderTaskQueues;
  /** From the plan, for the manifest's provenance. */
  seedsFile?: { name: string; sha256: string };
  runs: number;
  /**
   * Conversations still running when the previous run continued-as-new: started with ParentClosePolicy.ABANDON,
   * they go on, and this run waits for each by its id.
   */
  inFlight?: InFlight[];
  /** Items of the plan from `cursor` on, read but not started yet: the next run starts them at once. */
  nextItems?: CampaignItem[];
}

export interface InFlight {
  itemHash: string;
  conversationId: string;
  startedAt: string;
}

export interface CampaignResult {
  campaignId: string;
  workflowId: string;
  status: CampaignStatus;
  stopReason?: CampaignStopReason;
  itemCount: number;
  counts: CampaignCounts;
  totals: CampaignTotals;
  /** The dataset's files, as writeCampaignDataset reports them. */
  files: string[];
}

export interface Running extends InFlight {
  /** The item this run started; unset for a conversation carried over from the previous run. */
  item?: CampaignItem;
  scope: CancellationScope;
  handle?: ChildWorkflowHandle<typeof conversationWorkflow>;
  /** A carried-over conversation: no longer this run's child, reached by its id. */
  external?: ExternalWorkflowHandle;
}

export interface State extends CampaignContinuation {
  running: Map<string, Running>;
  phase: 'planning' | 'running' | 'dataset' | 'ended';
  endedAt?: string;
  /** Why the campaign failed (its dataset could not be written). */
  failure?: CampaignFailure;
}

export type CampaignWorkflow = (
  rawSpec: CampaignSpec,
  continuation?: CampaignContinuation,
) => Promise<CampaignResult>;

/** One run of a campaign, as its phases see it. */
export interface CampaignRun {
  spec: CampaignSpec;
  campaignId: string;
  workflowId: string;
  concurrency: number;
  state: State;
  /** A batch campaign's: where its conversations' cloud turns go. */
  route?: CloudBatchRoute;
  showDetails: () => void;
}

/** Every item has ended: pause, resume and cancel have nothing left to act on. */
export function itemsOver(state: State): boolean {
  return state.phase === 'dataset' || state.phase === 'ended';
}

export function currentStatus(state: State): CampaignStatus {
  if (state.phase === 'planning') return 'planning';
  if (state.phase === 'dataset') return 'writing_dataset';
  if (state.failure) return 'failed';
  if (state.phase === 'ended') return state.cancelRequested ? 'cancelled' : 'completed';
  if (state.stopReason) return 'draining';
  return state.paused ? 'paused' : 'running';
}

export function counts(state: State): CampaignCounts {
  const { completed, failed, skipped } = state.counts;
  const running = state.running.size;
  return {
    pending: state.itemCount - completed - failed - skipped - running,
    running,
    completed,
    failed,
    skipped,
  };
}

export function statusView({ spec, campaignId, workflowId, state }: CampaignRun): CampaignStatusView {
  const now = state.endedAt ? Date.parse(state.endedAt) : Date.now();
  const elapsedMs = Math.max(0, now - Date.parse(state.startedAt));
  const c = counts(state);
  const finished = c.completed + c.failed;
  const left = state.stopReason ? c.running : c.pending + c.running;
  return {
    campaignId,
    workflowId,
    ...(spec.name && { name: spec.name }),
    status: currentStatus(state),
    ...(state.stopReason && { stopReason: state.stopReason }),
    ...(state.failure && { failure: state.failure }),
    itemCount: state.itemCount,
    counts: c,
    totals: { ...state.totals },
    startedAt: state.startedAt,
    ...(state.endedAt && { endedAt: state.endedAt }),
    elapsedMs,
    ...(finished > 0 && state.phase !== 'ended' && { etaMs: Math.round((elapsedMs / finished) * left) }),
    turnsPerSecond: elapsedMs > 0 ? state.totals.turns / (elapsedMs / 1000) : 0,
    ...(spec.budget && {
      budget: {
        ...spec.budget,
        reached: state.stopReason === 'budget_tokens' || state.stopReason === 'budget_cost',
      },
    }),
  };
}

/** The Web UI's current details: the progress line, then what the campaign is. */
export function currentDetails(run: CampaignRun): string {
  const { spec, campaignId, concurrency } = run;
  const v = statusView(run);
  const c = v.counts;
  const progress = [
    `**${v.status}**${v.stopReason ? ` (${v.stopReason})` : ''}`,
    `${c.completed + c.failed} of ${v.itemCount} done`,
    ...(c.failed ? [`${c.failed} failed`] : []),
    ...(c.skipped ? [`${c.skipped} skipped`] : []),
    `${c.running} running`,
    `${v.turnsPerSecond.toFixed(1)} turns/s`,
    `${v.totals.inputTokens + v.totals.outputTokens} tokens`,
    `$${v.totals.costUsd.toFixed(4)}`,
    ...(v.etaMs !== undefined ? [`ETA ${Math.ceil(v.etaMs / 1000)} s`] : []),
  ].join(' · ');
  const summary = [
    spec.name ?? campaignId,
    `${v.itemCount} items`,
    `${spec.pairs.length} pair${spec.pairs.length === 1 ? '' : 's'}`,
    `concurrency ${concurrency}`,
  ].join(' · ');
  return `${progress}\n\n${summary}`;
}

export function describeFailure(err: unknown): { type: string; message: string } {
  if (typeof err === 'object' && err !== null && !(err instanceof Error)) {
    return err as { type: string; message: string };
  }
  const cause = err instanceof ChildWorkflowFailure ? (err.cause ?? err) : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? cause.name, message: cause.message };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
}

/** An activity's failure as its own type and message, not the ActivityFailure around it. */
export function activityFailureOf(err: unknown): { type: string; message: string } {
  return describeFailure(err instanceof ActivityFailure ? (err.cause ?? err) : err);
}
