import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { ChildWorkflowHandle, ExternalWorkflowHandle, RetryPolicy } from '@temporalio/workflow';
import { ActivityFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { pauseSignal, resumeSignal, stopSignal, usageTotals } from '../../contracts/conversation';
import type { ConversationResult } from '../../contracts/conversation';
import type { ConversationActivities } from '../../conversation/activities';
import type { ProviderTaskQueues } from '../../conversation/activities/types';
import { CAMPAIGN_ID } from '../../conversation/search-attributes';
import { staticSummary } from '../../conversation/summary';
import { conversationWorkflow } from '../../conversation/workflows/conversation';
import {
  CAMPAIGN_ID_RULE,
  CAMPAIGN_WORKFLOW_ID_PREFIX,
  CAMPAIGN_WORKFLOW_TASK_TIMEOUT,
  campaignIdOfWorkflowId,
  CampaignFailureType,
  campaignStatusQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../../contracts/campaign';
import { describeIssues, issuesOf } from '../../contracts/campaign-issues';
import type { CampaignStatusView } from '../../contracts/campaign';
import { campaignSpecSchema, DEFAULT_CAMPAIGN_CONCURRENCY } from '../../contracts/campaign-spec';
import { cloudBatchWorkflowId, finishCloudBatchSignal, type CloudBatchRoute } from '../../contracts/batcher';
import { cloudBatchWorkflow } from './batcher';
import type { CampaignSpec } from '../../contracts/campaign-spec';
import type {
  CampaignCounts,
  CampaignFailure,
  CampaignItem,
  CampaignStatus,
  CampaignStopReason,
  CampaignTotals,
  ItemOutcome,
} from '../../contracts/campaign';
import type { CampaignActivities } from './activities';

/**
 * Continue-as-new design: a run starts at most this many items (fewer when the server suggests continuing), then
 * checkpoints and continues-as-new with the cursor, the counts, the totals, the pause/cancel/budget state and the
 * ids of the conversations still running, which the next run waits for (CARRY_RUNNING_PATCH). Each run's history
 * stays near a thousand events (three per child, a few per workflow task, a page of items every PAGE_SIZE) whatever
 * the item count.
 */
export const ITEMS_PER_RUN = 100;

/**
 * The campaign is `writing_dataset` until its dataset is whole, and `completed` only then (the dataset activity
 * writes that status into manifest.json); when it cannot be written it ends `failed`, saying why. Runs recorded
 * before went `completed` first and wrote the dataset after.
 */
export const DATASET_BEFORE_COMPLETED_PATCH = 'dataset-before-completed';

/**
 * Marks a run that continues-as-new without waiting for its running conversations, carrying their ids into the
 * next run (CampaignContinuation.inFlight), which waits for each with conversationOutcome. Before it, a full run
 * stopped starting and drained its window first, so one slow conversation (an export stalled by a crashed worker)
 * held every slot. Runs recorded before it (no marker) drain as they did.
 */
export const CARRY_RUNNING_PATCH = 'carry-running-conversations';

/**
 * Marks a run that, cancelled through Temporal, still cancels its conversations, checkpoints and writes the dataset
 * before it reports the cancellation. Runs recorded before it ended at once.
 */
export const CHECKPOINT_ON_CANCEL_PATCH = 'checkpoint-on-cancel';
/**
 * Marks a run whose spec gives no `concurrency` and that runs DEFAULT_CAMPAIGN_CONCURRENCY conversations at once
 * (twice the stack's Ollama slots). Runs recorded before it ran PRE_SLOTS_CONCURRENCY and replay so.
 */
export const SLOTS_CONCURRENCY_PATCH = 'concurrency-fills-slots';
const PRE_SLOTS_CONCURRENCY = 10;
const PAGE_SIZE = 50;
/** Outcomes kept in the workflow before checkpointCampaign writes them to manifest.json: what a crash may redo. */
const CHECKPOINT_EVERY = 20;

const fileRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [CampaignFailureType.InvalidSpec],
};
/*
 * The activities below heartbeat while they work (the worker wraps them, see withCampaignHeartbeats), so one that a
 * dead worker held is retried elsewhere within its heartbeatTimeout, not at its startToClose: a page of items not
 * read stops new starts, and a checkpoint not written holds the continue-as-new, while the running conversations
 * end and free their slots.
 */
const { planCampaign } = proxyActivities<CampaignActivities>({
  // A seeds file of 100 000 lines is read, expanded and written once.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: { ...fileRetry, maximumAttempts: 10 },
});
const { campaignItems } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: { ...fileRetry, maximumAttempts: 10 },
});
const { checkpointCampaign } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: fileRetry,
});
const { writeCampaignDataset } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '1 hour',
  scheduleToCloseTimeout: '3 hours',
  retry: { ...fileRetry, maximumAttempts: 10 },
});
/** The judge is a model call on its side's queue; a judge that keeps failing leaves the item unscored. */
const { judgeConversation } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '20 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});
/**
 * Waits on a conversation that may still run: up to a conversation's longest timeout, heartbeating, so a worker
 * that dies meanwhile is noticed in seconds and the wait goes on elsewhere.
 */
const { conversationOutcome } = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const { providerTaskQueues } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

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
  /** Outcomes not yet in manifest.json (none when the checkpoint before continuing succeeded). */
  unsaved: ItemOutcome[];
  taskQueues?: ProviderTaskQueues;
  /** From the plan, for the manifest's provenance. */
  seedsFile?: { name: string; sha256: string };
  runs: number;
  /**
   * Conversations still running when the previous run continued-as-new (see CARRY_RUNNING_PATCH): started with
   * ParentClosePolicy.ABANDON, they go on, and this run waits for each by its id.
   */
  inFlight?: InFlight[];
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

interface Running extends InFlight {
  /** The item this run started; unset for a conversation carried over from the previous run. */
  item?: CampaignItem;
  scope: CancellationScope;
  handle?: ChildWorkflowHandle<typeof conversationWorkflow>;
  /** A carried-over conversation: no longer this run's child, reached by its id. */
  external?: ExternalWorkflowHandle;
}

interface State extends CampaignContinuation {
  running: Map<string, Running>;
  phase: 'planning' | 'running' | 'dataset' | 'ended';
  endedAt?: string;
  /** Why the campaign failed (its dataset could not be written). */
  failure?: CampaignFailure;
  /** The status the last checkpoint wrote. */
  checkpointed?: CampaignStatus;
}

/**
 * Runs every item of a campaign spec as a child conversationWorkflow (`campaign-<campaignId>-<itemHash>`), at most
 * `concurrency` at a time, recording what became of each; then writes the dataset. The workflow id is
 * `campaign-<campaignId>`. An item whose conversation already exists (a resubmitted spec, a reset) is recorded
 * from that conversation's result, never run again. `continuation` is internal (see ITEMS_PER_RUN).
 */
export async function campaignWorkflow(
  rawSpec: CampaignSpec,
  continuation?: CampaignContinuation,
): Promise<CampaignResult> {
  const spec = parseSpec(rawSpec);
  const { workflowId } = workflowInfo();
  const campaignId = campaignIdOf(workflowId, spec);
  const concurrency =
    spec.concurrency ??
    (patched(SLOTS_CONCURRENCY_PATCH) ? DEFAULT_CAMPAIGN_CONCURRENCY : PRE_SLOTS_CONCURRENCY);
  const state: State = {
    itemCount: 0,
    startedAt: workflowInfo().startTime.toISOString(),
    cursor: 0,
    counts: { completed: 0, failed: 0, skipped: 0 },
    totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, turns: 0 },
    paused: false,
    cancelRequested: false,
    unsaved: [],
    runs: 0,
    ...continuation,
    running: new Map(),
    phase: continuation ? 'running' : 'planning',
  };
  const route: CloudBatchRoute | undefined = spec.cloudBatch && {
    batcherWorkflowId: cloudBatchWorkflowId(workflowId),
    campaignId,
    inputS3Uri: spec.cloudBatch.inputS3Uri,
    outputS3Uri: spec.cloudBatch.outputS3Uri,
  };
  const finishBatcher = async (cancel: boolean) => {
    if (!route) return;
    await getExternalWorkflowHandle(route.batcherWorkflowId)
      .signal(finishCloudBatchSignal, { cancel })
      .catch((err: unknown) => log.warn('could not reach the batcher', { campaignId, error: String(err) }));
  };
  const view = () => statusView(spec, campaignId, workflowId, state);
  const showDetails = () => setCurrentDetails(currentDetails(spec, campaignId, concurrency, view()));

  setHandler(campaignStatusQuery, view);
  setHandler(pauseCampaignSignal, () => {
    if (state.paused || itemsOver(state)) return;
    state.paused = true;
    signalRunning(state, (h) => h.signal(pauseSignal));
    showDetails();
  });
  setHandler(resumeCampaignSignal, () => {
    if (!state.paused || itemsOver(state)) return;
    state.paused = false;
    signalRunning(state, (h) => h.signal(resumeSignal));
    showDetails();
  });
  setHandler(cancelCampaignSignal, () => {
    if (state.cancelRequested || itemsOver(state)) return;
    state.cancelRequested = true;
    state.stopReason = 'cancelled';
    // Each conversation exports what it said before it reports its cancellation (WAIT_CANCELLATION_COMPLETED).
    for (const run of state.running.values()) {
      run.scope.cancel();
      run.external?.cancel().catch((err: unknown) => {
        log.debug('cancel not delivered', { conversationId: run.conversationId, error: String(err) });
      });
    }
    // The batcher stops the jobs in flight (StopModelInvocationJob): nobody waits for them any more.
    void finishBatcher(true);
    showDetails();
  });

  if (!continuation) {
    showDetails();
    const plan = await planCampaign({ campaignId, workflowId, spec });
    state.itemCount = plan.itemCount;
    if (plan.seedsFile) state.seedsFile = plan.seedsFile;
    if (spec.judge) state.taskQueues = await providerTaskQueues();
    if (route && spec.cloudBatch) await startBatcher(route, campaignId, spec);
    state.phase = 'running';
    log.info('campaign planned', { campaignId, itemCount: plan.itemCount, specHash: plan.specHash });
  }
  showDetails();

  const checkpoint = async (endedAt?: string) => {
    const status = currentStatus(state);
    const outcomes = state.unsaved;
    state.unsaved = [];
    try {
      await checkpointCampaign({
        campaignId,
        workflowId,
        spec,
        status,
        ...(state.stopReason && { stopReason: state.stopReason }),
        ...(state.failure && { failure: state.failure }),
        counts: counts(state),
        totals: state.totals,
        startedAt: state.startedAt,
        ...(endedAt && { endedAt }),
        outcomes,
        runningItems: [...state.running.keys()],
        at: new Date().toISOString(),
        ...(state.seedsFile && { seedsFile: state.seedsFile }),
      });
    } catch (err) {
      state.unsaved = [...outcomes, ...state.unsaved];
      throw err;
    }
    state.checkpointed = status;
  };

  /**
   * The dataset, `completed` (or `cancelled`) once whole; `gated` (DATASET_BEFORE_COMPLETED_PATCH): when its
   * retries are spent, the campaign checkpoints `failed` with the reason and fails with it.
   */
  const writeDataset = async (gated: boolean): Promise<string[]> => {
    if (!gated) return (await writeCampaignDataset({ campaignId })).files;
    try {
      const ending = state.cancelRequested ? 'cancelled' : 'completed';
      return (await writeCampaignDataset({ campaignId, status: ending })).files;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const cause = activityFailureOf(err);
      state.failure = {
        type: CampaignFailureType.DatasetIncomplete,
        message: `the dataset could not be written (${cause.type}): ${cause.message}`,
      };
      state.phase = 'ended';
      showDetails();
      await checkpoint(state.endedAt);
      throw ApplicationFailure.create({
        type: state.failure.type,
        message: state.failure.message,
        nonRetryable: true,
        cause: err instanceof Error ? err : undefined,
      });
    }
  };

  const record = (outcome: ItemOutcome) => {
    state.running.delete(outcome.itemHash);
    state.unsaved.push(outcome);
    state.counts[outcome.state] += 1;
    // A conversation taken from the campaign this one extends cost nothing here: the totals and the budget count
    // this campaign's own model calls (the manifest's per-model table, every conversation of the dataset).
    if (outcome.reusedFrom) {
      showDetails();
      return;
    }
    const { cloud, local } = outcome.usage;
    state.totals.inputTokens += cloud.inputTokens + local.inputTokens;
    state.totals.outputTokens += cloud.outputTokens + local.outputTokens;
    state.totals.costUsd += outcome.costUsd;
    state.totals.turns += outcome.turns;
    if (outcome.onDemandCostUsd !== undefined) {
      state.totals.onDemandCostUsd = (state.totals.onDemandCostUsd ?? 0) + outcome.onDemandCostUsd;
      state.totals.batchTurns = (state.totals.batchTurns ?? 0) + (outcome.batchTurns ?? 0);
    }
    if (!state.stopReason) {
      const reached = budgetReached(spec, state.totals);
      if (reached) {
        state.stopReason = reached;
        log.info('campaign budget reached', { campaignId, stopReason: reached, totals: state.totals });
        signalRunning(state, (h) => h.signal(stopSignal, { reason: 'budget' }));
      }
    }
    showDetails();
  };

  // A new Current Version (an upgrade) also ends the run: the next one starts on it (continueAsNew below).
  const runFull = () =>
    startedThisRun >= ITEMS_PER_RUN ||
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().targetWorkerDeploymentVersionChanged;
  const moreToStart = () => !state.stopReason && state.cursor < state.itemCount;
  const canStart = () => moreToStart() && !state.paused && !runFull() && state.running.size < concurrency;
  // A full run continues-as-new without waiting for its conversations (carried over by id), once each has started.
  const carryRunning = patched(CARRY_RUNNING_PATCH);
  const allStarted = () => [...state.running.values()].every((r) => r.handle || r.external);
  const runEnds = () =>
    moreToStart()
      ? runFull() && (state.running.size === 0 || (carryRunning && allStarted()))
      : state.running.size === 0;
  const checkpointDue = () =>
    state.unsaved.length >= CHECKPOINT_EVERY ||
    (state.checkpointed !== undefined && state.checkpointed !== currentStatus(state));

  let startedThisRun = 0;
  let page: CampaignItem[] = [];
  // A checkpoint runs beside the loop, one at a time, so the window keeps filling while manifest.json is written.
  let checkpointing: Promise<void> | undefined;
  let checkpointFailure: { error: unknown } | undefined;
  const checkpointInBackground = () => {
    checkpointing = checkpoint()
      .catch((error: unknown) => void (checkpointFailure = { error }))
      .finally(() => (checkpointing = undefined));
  };
  // The previous run checkpointed before continuing: a status change from there on is worth a checkpoint.
  if (continuation) state.checkpointed = currentStatus(state);
  else checkpointInBackground();
  for (const carried of continuation?.inFlight ?? []) adopt(carried, state, spec, record);
  delete state.inFlight;
  let workflowCancelled: unknown;
  try {
    for (;;) {
      await condition(
        () => !!checkpointFailure || canStart() || (!checkpointing && (checkpointDue() || runEnds())),
      );
      if (checkpointFailure) {
        // The status says why the workflow fails: the checkpoint could not write the manifest, so nothing else can.
        const cause = activityFailureOf(checkpointFailure.error);
        state.failure = { type: cause.type, message: `a checkpoint failed: ${cause.message}` };
        state.phase = 'ended';
        throw ApplicationFailure.create({
          ...state.failure,
          nonRetryable: true,
          cause: checkpointFailure.error instanceof Error ? checkpointFailure.error : undefined,
        });
      }
      if (!checkpointing && checkpointDue()) {
        checkpointInBackground();
      } else if (!checkpointing && runEnds()) {
        break;
      } else if (canStart() && page.length === 0) {
        const limit = Math.min(PAGE_SIZE, ITEMS_PER_RUN - startedThisRun, state.itemCount - state.cursor);
        page = await campaignItems({ campaignId, offset: state.cursor, limit });
        if (page.length === 0) {
          throw ApplicationFailure.nonRetryable(
            `The plan has no item ${state.cursor} of the ${state.itemCount} it announced`,
            'CampaignPlanMismatch',
          );
        }
      } else if (canStart()) {
        const item = page.shift()!;
        state.cursor += 1;
        startedThisRun += 1;
        launch(item, state, spec, workflowId, campaignId, record, route);
        showDetails();
      }
    }
  } catch (err) {
    if (!isCancellation(err) || !patched(CHECKPOINT_ON_CANCEL_PATCH)) throw err;
    // Cancelled through Temporal (`temporal workflow cancel`, the Web UI) rather than by the cancel signal: end the
    // same way, the conversations cancelled (each exports what it said), then the last checkpoint and the dataset.
    workflowCancelled = err;
    log.info('campaign workflow cancelled: ending as cancelled, with its checkpoint and dataset', {
      campaignId,
    });
    state.cancelRequested = true;
    state.stopReason = 'cancelled';
    await CancellationScope.nonCancellable(async () => {
      // This run's own conversations are cancelled with its scope; those carried over are reached by id.
      for (const run of state.running.values()) {
        await run.external?.cancel().catch((e: unknown) => {
          log.debug('cancel not delivered', { conversationId: run.conversationId, error: String(e) });
        });
      }
      await condition(() => state.running.size === 0 && !checkpointing);
    });
  }

  if (moreToStart()) {
    await checkpoint();
    log.info('continuing as new', { campaignId, cursor: state.cursor, runs: state.runs + 1 });
    // The next run's task timeout is ours even when the campaign was started without it (the Temporal CLI).
    const continueAsNew = makeContinueAsNewFunc<typeof campaignWorkflow>({
      workflowTaskTimeout: CAMPAIGN_WORKFLOW_TASK_TIMEOUT,
      // Each run is pinned to its build; the next starts on the Current Version (an upgrade moves here).
      initialVersioningBehavior: 'AUTO_UPGRADE',
    });
    return continueAsNew(rawSpec, {
      itemCount: state.itemCount,
      startedAt: state.startedAt,
      cursor: state.cursor,
      counts: state.counts,
      totals: state.totals,
      paused: state.paused,
      cancelRequested: state.cancelRequested,
      ...(state.stopReason && { stopReason: state.stopReason }),
      unsaved: state.unsaved,
      ...(state.taskQueues && { taskQueues: state.taskQueues }),
      ...(state.seedsFile && { seedsFile: state.seedsFile }),
      runs: state.runs + 1,
      ...(state.running.size > 0 && {
        inFlight: [...state.running.values()].map((r) => ({
          itemHash: r.itemHash,
          conversationId: r.conversationId,
          startedAt: r.startedAt,
        })),
      }),
    });
  }

  const finish = async (): Promise<string[]> => {
    await finishBatcher(state.cancelRequested || workflowCancelled !== undefined);
    // Items never started (a budget or a cancel stopped the campaign) are skipped.
    state.counts.skipped += state.itemCount - state.cursor;
    state.cursor = state.itemCount;
    if (!patched(DATASET_BEFORE_COMPLETED_PATCH)) {
      state.phase = 'ended';
      state.endedAt = new Date().toISOString();
      await checkpoint(state.endedAt);
    } else {
      state.phase = 'dataset';
      state.endedAt = new Date().toISOString();
      showDetails();
      await checkpoint(state.endedAt);
    }
    const files = await writeDataset(state.phase === 'dataset');
    state.phase = 'ended';
    showDetails();
    return files;
  };
  const files = workflowCancelled ? await CancellationScope.nonCancellable(finish) : await finish();
  if (workflowCancelled) throw workflowCancelled;
  return {
    campaignId,
    workflowId,
    status: currentStatus(state),
    ...(state.stopReason && { stopReason: state.stopReason }),
    itemCount: state.itemCount,
    counts: counts(state),
    totals: state.totals,
    files,
  };
}

/**
 * The campaign's batcher, beside it rather than under it: a campaign run that continues-as-new must not end it
 * (ABANDON), and a later run finds it running (the start then fails as already started, which is fine).
 */
async function startBatcher(route: CloudBatchRoute, campaignId: string, spec: CampaignSpec): Promise<void> {
  try {
    await startChild(cloudBatchWorkflow, {
      workflowId: route.batcherWorkflowId,
      args: [{ campaignId, cloudBatch: spec.cloudBatch! }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Bedrock batch jobs of campaign ${campaignId}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Starts one item's conversation in a scope of its own (a cancel cancels it) and records its outcome. */
function launch(
  item: CampaignItem,
  state: State,
  spec: CampaignSpec,
  workflowId: string,
  campaignId: string,
  record: (outcome: ItemOutcome) => void,
  route: CloudBatchRoute | undefined,
): void {
  if (item.reuse) {
    // Completed in the campaign the spec extends: recorded as it was there, with no model call.
    record(item.reuse);
    return;
  }
  const conversationId = `${workflowId}-${item.itemHash}`;
  const run: Running = {
    item,
    itemHash: item.itemHash,
    conversationId,
    startedAt: new Date().toISOString(),
    scope: new CancellationScope(),
  };
  state.running.set(item.itemHash, run);
  void run.scope
    .run(() => runItem(run, state, spec, campaignId, route))
    .catch((err: unknown) => failedOutcome(run, err))
    .then(record);
}

/** Waits for a conversation carried over from the previous run (see InFlight) and records its outcome. */
function adopt(
  carried: InFlight,
  state: State,
  spec: CampaignSpec,
  record: (outcome: ItemOutcome) => void,
): void {
  const run: Running = {
    ...carried,
    scope: new CancellationScope(),
    external: getExternalWorkflowHandle(carried.conversationId),
  };
  state.running.set(run.itemHash, run);
  void run.scope
    .run(async () => {
      // Not cancelled with the scope: a cancelled campaign cancels the conversation itself, and waits for what it
      // exported.
      const existing = await CancellationScope.nonCancellable(() =>
        conversationOutcome({ workflowId: run.conversationId }),
      );
      if (existing.state === 'failed') return failedOutcome(run, existing.error);
      return judged(run, state, spec, existing.result);
    })
    .catch((err: unknown) => failedOutcome(run, err))
    .then(record);
}

async function runItem(
  run: Running,
  state: State,
  spec: CampaignSpec,
  campaignId: string,
  route: CloudBatchRoute | undefined,
): Promise<ItemOutcome> {
  const { conversationId } = run;
  const item = run.item!;
  let result: ConversationResult;
  try {
    const handle = await startChild(conversationWorkflow, {
      workflowId: conversationId,
      args: route
        ? [{ ...item.conversation, conversationId }, undefined, route]
        : [{ ...item.conversation, conversationId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowTaskTimeout: CAMPAIGN_WORKFLOW_TASK_TIMEOUT,
      // An item runs once: an id used before (running or closed) is refused, and its result is read instead.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: CAMPAIGN_ID, value: campaignId }],
      staticSummary: staticSummary(item.conversation),
    });
    run.handle = handle;
    // Signals sent while the start was on its way did not reach this one.
    if (state.stopReason === 'budget_tokens' || state.stopReason === 'budget_cost') {
      await handle.signal(stopSignal, { reason: 'budget' });
    } else if (state.paused) {
      await handle.signal(pauseSignal);
    }
    result = await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('conversation exists already: recording its outcome', { conversationId });
    const existing = await conversationOutcome({ workflowId: conversationId });
    if (existing.state === 'failed') return failedOutcome(run, existing.error);
    result = existing.result;
  }
  return judged(run, state, spec, result);
}

/** The item's outcome from its conversation's result, with the judge's score when the spec has a judge. */
async function judged(
  run: Running,
  state: State,
  spec: CampaignSpec,
  result: ConversationResult,
): Promise<ItemOutcome> {
  const { conversationId } = run;
  const outcome = completedOutcome(run, result);
  if (spec.judge && outcome.state === 'completed' && result.jsonlPath) {
    const queue = state.taskQueues?.[spec.judge.side];
    try {
      outcome.judge = await judgeConversation.executeWithOptions(
        { summary: `judge · ${spec.judge.model}`, ...(queue && { taskQueue: queue }) },
        [{ conversationId, jsonlPath: result.jsonlPath, judge: spec.judge }],
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('judge failed: the item stays unscored', { conversationId, error: String(err) });
    }
  }
  return outcome;
}

function completedOutcome(run: Running, result: ConversationResult): ItemOutcome {
  const totals = result.usage ? undefined : usageTotals(result.turns);
  return {
    itemHash: run.itemHash,
    conversationId: run.conversationId,
    // `cancelled` here: its batch job was stopped from outside (see cloudBatchWorkflow).
    state: result.endReason === 'error' || result.endReason === 'cancelled' ? 'failed' : 'completed',
    endReason: result.endReason,
    turns: result.completedTurns,
    usage: result.usage ?? totals!.usage,
    costUsd: result.costUsd ?? totals!.costUsd,
    ...((result.unpricedModels ?? totals!.unpricedModels).length > 0 && {
      unpricedModels: result.unpricedModels ?? totals!.unpricedModels,
    }),
    ...(result.onDemandCostUsd !== undefined && {
      onDemandCostUsd: result.onDemandCostUsd,
      batchTurns: result.batchTurns ?? 0,
    }),
    startedAt: run.startedAt,
    endedAt: new Date().toISOString(),
    ...(result.error && { error: result.error }),
    csvPath: result.csvPath,
    jsonlPath: result.jsonlPath,
  };
}

/** A conversation that failed, was terminated, timed out or was cancelled with its campaign. */
function failedOutcome(run: Running, err: unknown): ItemOutcome {
  const error = describeFailure(err);
  return {
    itemHash: run.itemHash,
    conversationId: run.conversationId,
    state: 'failed',
    ...(error.type === 'CancelledFailure' && { endReason: 'cancelled' as const }),
    turns: 0,
    usage: { cloud: { inputTokens: 0, outputTokens: 0 }, local: { inputTokens: 0, outputTokens: 0 } },
    costUsd: 0,
    startedAt: run.startedAt,
    endedAt: new Date().toISOString(),
    error,
  };
}

function describeFailure(err: unknown): { type: string; message: string } {
  if (typeof err === 'object' && err !== null && !(err instanceof Error)) {
    return err as { type: string; message: string };
  }
  const cause = err instanceof ChildWorkflowFailure ? (err.cause ?? err) : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? cause.name, message: cause.message };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
}

/** An activity's failure as its own type and message, not the ActivityFailure around it. */
function activityFailureOf(err: unknown): { type: string; message: string } {
  return describeFailure(err instanceof ActivityFailure ? (err.cause ?? err) : err);
}

/** Sends a signal to every running conversation; one that has just ended no longer needs it. */
function signalRunning(
  state: State,
  send: (handle: Pick<ExternalWorkflowHandle, 'signal'>) => Promise<void>,
): void {
  for (const run of state.running.values()) {
    const handle = run.handle ?? run.external;
    if (!handle) continue; // runItem signals it once started
    send(handle).catch((err: unknown) => {
      log.debug('signal not delivered', { conversationId: run.conversationId, error: String(err) });
    });
  }
}

function budgetReached(spec: CampaignSpec, totals: CampaignTotals): CampaignStopReason | undefined {
  const budget = spec.budget;
  if (budget?.maxTokens !== undefined && totals.inputTokens + totals.outputTokens >= budget.maxTokens) {
    return 'budget_tokens';
  }
  if (budget?.maxCostUsd !== undefined && totals.costUsd >= budget.maxCostUsd) return 'budget_cost';
  return undefined;
}

/** Every item has ended: pause, resume and cancel have nothing left to act on. */
function itemsOver(state: State): boolean {
  return state.phase === 'dataset' || state.phase === 'ended';
}

function currentStatus(state: State): CampaignStatus {
  if (state.phase === 'planning') return 'planning';
  if (state.phase === 'dataset') return 'writing_dataset';
  if (state.failure) return 'failed';
  if (state.phase === 'ended') return state.cancelRequested ? 'cancelled' : 'completed';
  if (state.stopReason) return 'draining';
  return state.paused ? 'paused' : 'running';
}

function counts(state: State): CampaignCounts {
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

function statusView(
  spec: CampaignSpec,
  campaignId: string,
  workflowId: string,
  state: State,
): CampaignStatusView {
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
function currentDetails(
  spec: CampaignSpec,
  campaignId: string,
  concurrency: number,
  v: CampaignStatusView,
): string {
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

/** A spec started from the Temporal CLI gets the API's checks: a bad one fails at once, naming the path. */
function parseSpec(raw: CampaignSpec): CampaignSpec {
  const parsed = campaignSpecSchema().safeParse(raw);
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.nonRetryable(
    describeIssues(issuesOf(parsed.error)),
    CampaignFailureType.InvalidSpec,
  );
}

function campaignIdOf(workflowId: string, spec: CampaignSpec): string {
  const id = campaignIdOfWorkflowId(workflowId);
  if (id === undefined) {
    throw ApplicationFailure.nonRetryable(
      `Invalid campaign workflow id ${workflowId}: it must be ${CAMPAIGN_WORKFLOW_ID_PREFIX}<campaignId>, ` +
        `where the campaignId ${CAMPAIGN_ID_RULE}`,
      CampaignFailureType.InvalidSpec,
    );
  }
  if (spec.campaignId !== undefined && spec.campaignId !== id) {
    throw ApplicationFailure.nonRetryable(
      `Invalid campaign spec: campaignId: ${spec.campaignId} differs from the workflow id's ${id}`,
      CampaignFailureType.InvalidSpec,
    );
  }
  return id;
}
