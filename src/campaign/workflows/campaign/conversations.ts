/**
 * The campaign's conversations: each item started as a child conversationWorkflow (or one carried over from the
 * previous run waited for by its id), judged when the spec has a judge, and recorded with what became of it.
 */
import {
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { ExternalWorkflowHandle } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CAMPAIGN_WORKFLOW_TASK_TIMEOUT } from '../../../contracts/campaign';
import type {
  CampaignItem,
  CampaignStopReason,
  CampaignTotals,
  ItemOutcome,
} from '../../../contracts/campaign';
import type { CampaignSpec } from '../../../contracts/campaign-spec';
import { pauseSignal, stopSignal, usageTotals } from '../../../contracts/conversation';
import type { ConversationResult } from '../../../contracts/conversation';
import { CAMPAIGN_ID, startAttributes } from '../../../conversation/search-attributes';
import { staticSummary } from '../../../conversation/summary';
import { conversationWorkflow } from '../../../conversation/workflows/conversation';
import { conversationOutcome, judgeConversation } from './activities';
import { describeFailure, type CampaignRun, type InFlight, type Running, type State } from './state';

/** Starts one item's conversation in a scope of its own (a cancel cancels it) and records its outcome. */
export function launch(run: CampaignRun, item: CampaignItem): void {
  if (item.reuse) {
    // Completed in the campaign the spec extends: recorded as it was there, with no model call.
    record(run, item.reuse);
    return;
  }
  const conversation: Running = {
    item,
    itemHash: item.itemHash,
    conversationId: `${run.workflowId}-${item.itemHash}`,
    startedAt: new Date().toISOString(),
    scope: new CancellationScope(),
  };
  run.state.running.set(item.itemHash, conversation);
  void conversation.scope
    .run(() => runItem(run, conversation))
    .catch((err: unknown) => failedOutcome(conversation, err))
    .then((outcome) => record(run, outcome));
}

/** Waits for a conversation carried over from the previous run (see InFlight) and records its outcome. */
export function adopt(run: CampaignRun, carried: InFlight): void {
  const conversation: Running = {
    ...carried,
    scope: new CancellationScope(),
    external: getExternalWorkflowHandle(carried.conversationId),
  };
  run.state.running.set(conversation.itemHash, conversation);
  void conversation.scope
    .run(async () => {
      // Not cancelled with the scope: a cancelled campaign cancels the conversation itself, and waits for what it
      // exported.
      const existing = await CancellationScope.nonCancellable(() =>
        conversationOutcome({ workflowId: conversation.conversationId }),
      );
      if (existing.state === 'failed') return failedOutcome(conversation, existing.error);
      return judged(run, conversation, existing.result);
    })
    .catch((err: unknown) => failedOutcome(conversation, err))
    .then((outcome) => record(run, outcome));
}

/** Sends a signal to every running conversation; one that has just ended no longer needs it. */
export function signalRunning(
  state: State,
  send: (handle: Pick<ExternalWorkflowHandle, 'signal'>) => Promise<void>,
): void {
  for (const conversation of state.running.values()) {
    const handle = conversation.handle ?? conversation.external;
    if (!handle) continue; // runItem signals it once started
    send(handle).catch((err: unknown) => {
      log.debug('signal not delivered', { conversationId: conversation.conversationId, error: String(err) });
    });
  }
}

/** An item's outcome joins the counts and totals; reaching the budget stops the running conversations. */
function record(run: CampaignRun, outcome: ItemOutcome): void {
  const { state, spec, campaignId } = run;
  state.running.delete(outcome.itemHash);
  state.unsaved.push(outcome);
  state.counts[outcome.state] += 1;
  // A conversation taken from the campaign this one extends cost nothing here: the totals and the budget count
  // this campaign's own model calls (the manifest's per-model table, every conversation of the dataset).
  if (outcome.reusedFrom) {
    run.showDetails();
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
  run.showDetails();
}

function budgetReached(spec: CampaignSpec, totals: CampaignTotals): CampaignStopReason | undefined {
  const budget = spec.budget;
  if (budget?.maxTokens !== undefined && totals.inputTokens + totals.outputTokens >= budget.maxTokens) {
    return 'budget_tokens';
  }
  if (budget?.maxCostUsd !== undefined && totals.costUsd >= budget.maxCostUsd) return 'budget_cost';
  return undefined;
}

async function runItem(run: CampaignRun, conversation: Running): Promise<ItemOutcome> {
  const { state, campaignId, route } = run;
  const { conversationId } = conversation;
  const item = conversation.item!;
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
      typedSearchAttributes: [{ key: CAMPAIGN_ID, value: campaignId }, ...startAttributes(item.conversation)],
      staticSummary: staticSummary(item.conversation),
    });
    conversation.handle = handle;
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
    if (existing.state === 'failed') return failedOutcome(conversation, existing.error);
    result = existing.result;
  }
  return judged(run, conversation, result);
}

/** The item's outcome from its conversation's result, with the judge's score when the spec has a judge. */
async function judged(
  run: CampaignRun,
  conversation: Running,
  result: ConversationResult,
): Promise<ItemOutcome> {
  const { spec, state } = run;
  const { conversationId } = conversation;
  const outcome = completedOutcome(conversation, result);
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

function completedOutcome(conversation: Running, result: ConversationResult): ItemOutcome {
  const totals = result.usage ? undefined : usageTotals(result.turns);
  return {
    itemHash: conversation.itemHash,
    conversationId: conversation.conversationId,
    // `cancelled` here: its batch job was stopped from outside (see cloudBatchWorkflow).
    state: result.endReason === 'error' || result.endReason === 'cancelled' ? 'failed' : 'completed',
    endReason: result.endReason,
    turns: result.completedTurns,
    usage: result.usage ?? totals!.usage,
    costUsd: result.costUsd ?? totals!.costUsd,
    costUsdBySide: result.costUsdBySide ?? usageTotals(result.turns).costUsdBySide,
    ...((result.unpricedModels ?? totals!.unpricedModels).length > 0 && {
      unpricedModels: result.unpricedModels ?? totals!.unpricedModels,
    }),
    ...(result.onDemandCostUsd !== undefined && {
      onDemandCostUsd: result.onDemandCostUsd,
      batchTurns: result.batchTurns ?? 0,
    }),
    startedAt: conversation.startedAt,
    endedAt: new Date().toISOString(),
    ...(result.error && { error: result.error }),
    csvPath: result.csvPath,
    jsonlPath: result.jsonlPath,
  };
}

/** A conversation that failed, was terminated, timed out or was cancelled with its campaign. */
function failedOutcome(conversation: Running, err: unknown): ItemOutcome {
  const error = describeFailure(err);
  return {
    itemHash: conversation.itemHash,
    conversationId: conversation.conversationId,
    state: 'failed',
    ...(error.type === 'CancelledFailure' && { endReason: 'cancelled' as const }),
    turns: 0,
    usage: { cloud: { inputTokens: 0, outputTokens: 0 }, local: { inputTokens: 0, outputTokens: 0 } },
    costUsd: 0,
    startedAt: conversation.startedAt,
    endedAt: new Date().toISOString(),
    error,
  };
}
