import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  averageProcessingTimeMs,
  pauseSignal,
  resumeSignal,
  stopSignal,
  transcriptQuery,
  usageTotals,
} from '../../contracts/conversation';
import type {
  ConversationContinuation,
  ConversationInput,
  ConversationResult,
  EndReason,
} from '../../contracts/conversation';
import { cloudBatchAnswerSignal, type CloudBatchRoute } from '../../contracts/batcher';
import { END_REASON, startAttributes, TURNS_COMPLETED } from '../search-attributes';
import type { ExportTranscriptOutput, ProviderTaskQueues } from '../activities/types';
import { exportTranscript, providerTaskQueues } from './activities';
import { tellBatcher } from './cloud-turn';
import { noveltySettings } from './novelty';
import {
  CONTINUE_AS_NEW,
  currentDetails,
  describeFailure,
  transcript,
  withDefaults,
  type ConversationRun,
  type LoopEnd,
  type Settings,
  type State,
} from './state';
import { chosenEndpoints } from './turn';
import { runTurns } from './turn-loop';

export { TURNS_PER_RUN } from './turn-loop';

/**
 * Two models talk for up to `maxTurns` turns. Ends at maxTurns, a `stop` signal, a stop phrase, repetition,
 * the durable timeout, or a permanent activity failure; in every case the turns said so far are exported.
 * `continuation` is internal: the state a previous run carried over (see TURNS_PER_RUN). `route` is internal too:
 * a batch campaign's conversation asks its cloud turns through the campaign's batcher (see cloud-turn.ts).
 */
export async function conversationWorkflow(
  rawInput: ConversationInput,
  continuation?: ConversationContinuation,
  route?: CloudBatchRoute,
): Promise<ConversationResult> {
  const settings = withDefaults(rawInput, route !== undefined);
  const state: State = {
    turns: continuation?.turns ?? [],
    paused: continuation?.paused ?? false,
    stopRequested: continuation?.stopRequested ?? false,
    stopForBudget: continuation?.stopForBudget ?? false,
    novelty: noveltySettings(settings.novelty),
    deadline: continuation?.deadline ?? workflowInfo().startTime.getTime() + settings.timeoutMinutes * 60_000,
    runs: continuation?.runs ?? 0,
    phase: 'talking',
    unrecorded: [],
    batchAnswers: new Map(),
  };
  const showDetails = () => setCurrentDetails(currentDetails(settings, state));
  listen(state, showDetails, settings, route);
  const current = workflowInfo().typedSearchAttributes;
  const unset = startAttributes(settings, state.turns.length).filter(
    ({ key, value }) => current.get(key) !== value,
  );
  if (unset.length > 0) upsertSearchAttributes(unset);
  showDetails();

  let outcome: LoopEnd;
  let error: ConversationResult['error'];
  let queues = continuation?.taskQueues;
  let workflowCancelled: unknown;
  try {
    let noQueues: unknown;
    try {
      queues ??= await providerTaskQueues(chosenEndpoints(settings));
    } catch (err) {
      // An endpoint the worker cannot call (a run started outside the API): ends like any failed call.
      if (isCancellation(err)) throw err;
      noQueues = err;
    }
    if (route && !continuation && queues) {
      await tellBatcher(route, { kind: 'join', conversationId: settings.conversationId });
    }
    const remainingMs = state.deadline - Date.now();
    if (!queues) {
      outcome = 'error';
      error = describeFailure(noQueues);
      log.warn('conversation ended by a failure', { ...error, completedTurns: state.turns.length });
    } else if (remainingMs <= 0) {
      outcome = 'timeout';
    } else {
      ({ outcome, error } = await turnsUntilDeadline(
        { settings, state, queues, route, showDetails },
        remainingMs,
      ));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The workflow itself was cancelled: still export what was said, then report the cancellation.
    workflowCancelled = err;
    outcome = 'cancelled';
  }

  if (outcome === CONTINUE_AS_NEW) return continueAsNew(settings, state, queues!, route);
  if (route) {
    // The batcher stops counting on this conversation; one that is gone already has nothing to count.
    await CancellationScope.nonCancellable(() =>
      tellBatcher(route, { kind: 'leave', conversationId: settings.conversationId }).catch((err: unknown) =>
        log.warn('could not tell the batcher this conversation ended', { error: String(err) }),
      ),
    );
  }
  const paths = await exportAll(settings, state, outcome, showDetails);
  if (workflowCancelled) throw workflowCancelled;

  return {
    conversationId: settings.conversationId,
    endReason: outcome,
    turns: state.turns,
    completedTurns: state.turns.length,
    maxTurns: settings.maxTurns,
    ...paths,
    averageProcessingTimeMs: averageProcessingTimeMs(state.turns),
    ...(error ? { error } : {}),
    ...usageTotals(state.turns, state.unrecorded),
  };
}

/** The queries and signals: the transcript so far, stop, pause, resume, and in batch the batcher's answers. */
function listen(
  state: State,
  showDetails: () => void,
  settings: Settings,
  route: CloudBatchRoute | undefined,
): void {
  setHandler(transcriptQuery, () => transcript(settings, state));
  setHandler(stopSignal, (request) => {
    state.stopRequested = true;
    if (request?.reason === 'budget') state.stopForBudget = true;
    showDetails();
  });
  setHandler(pauseSignal, () => {
    state.paused = true;
    showDetails();
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    showDetails();
  });
  if (route) {
    setHandler(cloudBatchAnswerSignal, (answer) => {
      if (!state.batchAnswers.has(answer.turn))
        state.batchAnswers.set(answer.turn, { ...answer, receivedAt: Date.now() });
    });
  }
}

/** The turn loop, cut short by the conversation's durable timeout (a timer, so replays take the same path). */
async function turnsUntilDeadline(
  run: ConversationRun,
  remainingMs: number,
): Promise<{ outcome: LoopEnd; error?: ConversationResult['error'] }> {
  const loopScope = new CancellationScope();
  let loopSettled = false;
  const loop = loopScope.run(() => runTurns(run));
  loop.then(
    () => (loopSettled = true),
    () => (loopSettled = true),
  );
  const finishedInTime = await condition(() => loopSettled, remainingMs, { summary: 'conversation timeout' });
  if (!finishedInTime) loopScope.cancel();
  try {
    return { outcome: await loop };
  } catch (err) {
    if (!finishedInTime && isCancellation(err)) return { outcome: 'timeout' };
    const error = describeFailure(err);
    log.warn('conversation ended by a failure', { ...error, completedTurns: run.state.turns.length });
    return { outcome: 'error', error };
  }
}

/** The run is full: the next one goes on with the turns, the signals so far and the deadline. */
function continueAsNew(
  settings: Settings,
  state: State,
  queues: ProviderTaskQueues,
  route: CloudBatchRoute | undefined,
): Promise<never> {
  log.info('continuing as new', { completedTurns: state.turns.length, runs: state.runs + 1 });
  upsertSearchAttributes([{ key: TURNS_COMPLETED, value: state.turns.length }]);
  // The search attributes set so far go along, so filters keep matching during the next run.
  const continueWithState = makeContinueAsNewFunc<typeof conversationWorkflow>({
    typedSearchAttributes: workflowInfo().typedSearchAttributes,
  });
  return continueWithState(
    settings,
    {
      turns: state.turns,
      paused: state.paused,
      stopRequested: state.stopRequested,
      stopForBudget: state.stopForBudget,
      taskQueues: queues,
      deadline: state.deadline,
      runs: state.runs + 1,
    },
    route,
  );
}

/** The end: the search attributes say why, and the transcript is exported whatever cancelled the run. */
async function exportAll(
  settings: Settings,
  state: State,
  endReason: EndReason,
  showDetails: () => void,
): Promise<ExportTranscriptOutput> {
  state.endReason = endReason;
  state.phase = 'exporting';
  upsertSearchAttributes([
    { key: TURNS_COMPLETED, value: state.turns.length },
    { key: END_REASON, value: endReason },
  ]);
  showDetails();
  const paths = await CancellationScope.nonCancellable(() =>
    exportTranscript.executeWithOptions({ summary: `export · ${state.turns.length} turns · ${endReason}` }, [
      {
        conversationId: settings.conversationId,
        outputFile: settings.outputFile,
        endReason,
        turns: state.turns,
      },
    ]),
  );
  state.phase = 'completed';
  showDetails();
  return paths;
}
