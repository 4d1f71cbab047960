import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import {
  averageProcessingTimeMs,
  inputSchemas,
  DEFAULT_MAX_TURNS,
  DEFAULT_REPETITION_THRESHOLD,
  DEFAULT_REPETITION_WINDOW,
  DEFAULT_TIMEOUT_MINUTES,
  FailureType,
  NON_RETRYABLE_FAILURE_TYPES,
  pauseSignal,
  resumeSignal,
  stopSignal,
  totalTokens,
  transcriptQuery,
  usageTotals,
} from '../../contracts/conversation';
import type {
  ConversationContinuation,
  ConversationInput,
  ConversationResult,
  ConversationStatus,
  EndReason,
  NoveltySettings,
  TranscriptState,
  Turn,
  UnrecordedCall,
} from '../../contracts/conversation';
import {
  cloudBatchAnswerSignal,
  cloudBatchSignal,
  type CloudBatchAnswer,
  type CloudBatchMessage,
  type CloudBatchRoute,
} from '../../contracts/batcher';
import { MAX_TIMEOUT_MINUTES } from '../../contracts/limits';
import { CLOUD_MODEL, END_REASON, LOCAL_MODEL, TURNS_COMPLETED } from '../search-attributes';
import { staticSummary } from '../summary';
import type { ConversationActivities } from '../activities';
import type { AskCloudInput, AskCloudOutput, AskLocalOutput, ProviderTaskQueues } from '../activities/types';
import { findRepeat, noveltySettings, resampleSampling } from './novelty';
import { repeatsItself } from './repetition';
import {
  chosenEndpoints,
  cloudRequest,
  cloudResampleRequest,
  localRequest,
  localResampleRequest,
  sumCost,
  sumUsage,
  turnRecord,
} from './turn';

/**
 * Continue-as-new design: a run does at most this many turns (or fewer when the server suggests it), then
 * continues-as-new carrying the turns so far, the options, the pause/stop state and the absolute deadline.
 * Each run's history stays around 25 × 2 activities (~150 events) whatever maxTurns is, replay stays fast,
 * and nothing leaves the workflow: the `transcript` query, signals (sent to the workflow id, so to the latest
 * run), the timeout (an absolute deadline, re-armed with what is left) and the export (all turns are in
 * memory at the end) keep working across runs. The carried turns are bounded by the input schema's
 * transcript budget (MAX_TRANSCRIPT_TOKENS), well under Temporal's payload limit. Continuing only between
 * turns, never with an activity in flight, keeps every turn exactly once.
 */
export const TURNS_PER_RUN = 25;

/**
 * Temporal owns the retries of a failed model call across attempts; inside one attempt only the REST service may
 * retry, once, within the attempt's deadline (see src/contracts/deadline.ts). Transient failures (a model server
 * down, 5xx, 429, timeouts, an open circuit) are retried with backoff, a finite number of times, within each
 * activity's scheduleToCloseTimeout; permanent ones (4xx, validation) are non-retryable ApplicationFailures. When
 * the attempts are spent the conversation ends with `error`, after exporting what was said.
 *
 * Cloud: attempts at 0, 2, 6, 14, 30, 62 s (plus the attempts' own time) ride out an outage of about a minute; with
 * at most 2 provider calls per attempt (the REST service's one retry, the Bedrock SDK's single attempt), a turn
 * costs a struggling provider at most 6 × 2 = 12 calls, and far fewer once the REST service's circuit opens and
 * attempts fail fast without calling it.
 */
const cloudRetry: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 6,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/**
 * Local: one Ollama call per attempt (the client does not retry). Attempts at 0, 1, 3, 7, 15, 31, 61, 91 s ride
 * out an Ollama restart and a model load; a CPU-bound model that times out is retried at most 7 times, within the
 * 20-minute scheduleToClose.
 */
const localRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 8,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/** The export writes local files and calls no model: retried until its scheduleToClose, the transcript is precious. */
const exportRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  maximumAttempts: Infinity,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/** Model calls heartbeat while they wait, so a dead worker is noticed in 30 s rather than at startToClose. */
const cloudOptions: ActivityOptions = {
  // The outermost deadline of the cloud path: above the REST service's UPSTREAM_TIMEOUT_MS (default 60 s) plus the
  // activity's ACTIVITY_DEADLINE_MARGIN_MS; askCloud sends what is left of it inward.
  startToCloseTimeout: '90 seconds',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: cloudRetry,
};
const localOptions: ActivityOptions = {
  // A CPU-only local model can be slow on a small machine.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '20 minutes',
  retry: localRetry,
};
const { askCloud } = proxyActivities<ConversationActivities>(cloudOptions);
const { askLocal } = proxyActivities<ConversationActivities>(localOptions);
/** Answered by this worker at once from its configuration; retried briefly should the worker be going away. */
const { providerTaskQueues } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});
/** A batch turn's S3 steps (stage the request, read the answer): small objects, retried like the export. */
const { stageCloudRequest, readCloudAnswer } = proxyActivities<ConversationActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});
/**
 * The export writes two files: a worker that dies during it (a crash, a deploy) is noticed by the 5 s heartbeat
 * timeout and the export retried elsewhere in seconds, where the minute's startToClose alone held the conversation
 * (and its campaign slot) for a minute.
 */
const { exportTranscript } = proxyActivities<ConversationActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: exportRetry,
});

type Settings = ConversationInput & {
  conversationId: string;
  maxTurns: number;
  timeoutMinutes: number;
  repetitionThreshold: number;
  repetitionWindow: number;
};

interface State {
  turns: Turn[];
  paused: boolean;
  stopRequested: boolean;
  /** The stop came from the campaign's budget: the run ends as `budget`, not `stop_signal`. */
  stopForBudget: boolean;
  /** Where the model calls run; unset in runs recorded before the provider queues (the workflow's own queue). */
  taskQueues?: ProviderTaskQueues;
  /** The novelty guard's settings; unset when it is off, or in runs recorded before it (NOVELTY_GUARD_PATCH). */
  novelty?: NoveltySettings;
  /** The guard also compares word sets (NOVELTY_WORD_SETS_PATCH). */
  noveltyWordSets?: boolean;
  /** Calls whose replies are in no turn (see UnrecordedCall). */
  unrecorded: UnrecordedCall[];
  deadline: number;
  runs: number;
  phase: 'talking' | 'exporting' | 'completed';
  endReason?: EndReason;
  /** Batch mode: the batcher's answers by turn, with the workflow time each arrived. */
  batchAnswers: Map<number, CloudBatchAnswer & { receivedAt: number }>;
}

const CONTINUE_AS_NEW = 'continue_as_new';

/**
 * Marks a run whose model calls go to the provider task queues (TEMPORAL_CLOUD_TASK_QUEUE / _LOCAL_), which it
 * learns from its worker with the `providerTaskQueues` local activity. A run recorded before (no marker) keeps
 * calling the models on its own task queue, which the main Worker still serves.
 */
export const PROVIDER_TASK_QUEUES_PATCH = 'provider-task-queues';

/**
 * Two models talk for up to `maxTurns` turns. Ends at maxTurns, a `stop` signal, a stop phrase, repetition,
 * the durable timeout, or a permanent activity failure; in every case the turns said so far are exported.
 * `continuation` is internal: the state a previous run carried over (see TURNS_PER_RUN). `route` is internal too:
 * a batch campaign's conversation asks its cloud turns through the campaign's batcher (see cloudInBatch).
 */
export async function conversationWorkflow(
  rawInput: ConversationInput,
  continuation?: ConversationContinuation,
  route?: CloudBatchRoute,
): Promise<ConversationResult> {
  const settings = withDefaults(rawInput, continuation !== undefined, route !== undefined);
  const state: State = {
    turns: continuation?.turns ?? [],
    paused: continuation?.paused ?? false,
    stopRequested: continuation?.stopRequested ?? false,
    stopForBudget: continuation?.stopForBudget ?? false,
    taskQueues: continuation?.taskQueues,
    deadline: continuation?.deadline ?? workflowInfo().startTime.getTime() + settings.timeoutMinutes * 60_000,
    runs: continuation?.runs ?? 0,
    phase: 'talking',
    unrecorded: [],
    batchAnswers: new Map(),
  };
  const showDetails = () => setCurrentDetails(currentDetails(settings, state));
  // Asked once, in the first workflow task, so the marker (and its TemporalChangeVersion upsert) joins that task.
  const sparseAttributes = patched(SPARSE_TURN_ATTRIBUTES_PATCH);
  const askForProviderQueues = !state.taskQueues && patched(PROVIDER_TASK_QUEUES_PATCH);
  const novelty = noveltySettings(settings.novelty);
  if (novelty && patched(NOVELTY_GUARD_PATCH)) state.novelty = novelty;
  state.noveltyWordSets = state.novelty !== undefined && patched(NOVELTY_WORD_SETS_PATCH);

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
  upsertSearchAttributes([
    ...(settings.cloud?.model ? [{ key: CLOUD_MODEL, value: settings.cloud.model }] : []),
    ...(settings.local?.model ? [{ key: LOCAL_MODEL, value: settings.local.model }] : []),
    { key: TURNS_COMPLETED, value: state.turns.length },
  ]);
  showDetails();

  let outcome: EndReason | typeof CONTINUE_AS_NEW;
  let error: ConversationResult['error'];
  let workflowCancelled: unknown;
  try {
    let noQueues: unknown;
    if (askForProviderQueues) {
      // Asked as before when no endpoint is named, so runs recorded before endpoints replay unchanged.
      const chosen = chosenEndpoints(settings);
      try {
        state.taskQueues = await (chosen ? providerTaskQueues(chosen) : providerTaskQueues());
      } catch (err) {
        // An endpoint the worker cannot call (a run started outside the API): ends like any failed call.
        if (isCancellation(err)) throw err;
        noQueues = err;
      }
    }
    if (route && !continuation && noQueues === undefined)
      await tellBatcher(route, { kind: 'join', conversationId: settings.conversationId });
    const remainingMs = state.deadline - Date.now();
    if (noQueues !== undefined) {
      outcome = 'error';
      error = describeFailure(noQueues);
      log.warn('conversation ended by a failure', { ...error, completedTurns: state.turns.length });
    } else if (remainingMs <= 0) {
      outcome = 'timeout';
    } else {
      const loopScope = new CancellationScope();
      let loopSettled = false;
      const loop = loopScope.run(() => runTurns(settings, state, showDetails, sparseAttributes, route));
      loop.then(
        () => (loopSettled = true),
        () => (loopSettled = true),
      );
      const finishedInTime = await condition(() => loopSettled, remainingMs, {
        summary: 'conversation timeout',
      });
      if (!finishedInTime) loopScope.cancel();
      try {
        outcome = await loop;
      } catch (err) {
        if (!finishedInTime && isCancellation(err)) {
          outcome = 'timeout';
        } else {
          outcome = 'error';
          error = describeFailure(err);
          log.warn('conversation ended by a failure', { ...error, completedTurns: state.turns.length });
        }
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The workflow itself was cancelled: still export what was said, then report the cancellation.
    workflowCancelled = err;
    outcome = 'cancelled';
  }

  if (outcome === CONTINUE_AS_NEW) {
    log.info('continuing as new', { completedTurns: state.turns.length, runs: state.runs + 1 });
    if (sparseAttributes) {
      upsertSearchAttributes([{ key: TURNS_COMPLETED, value: state.turns.length }]);
    }
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
        ...(state.taskQueues && { taskQueues: state.taskQueues }),
        deadline: state.deadline,
        runs: state.runs + 1,
      },
      route,
    );
  }
  if (route) {
    // The batcher stops counting on this conversation; one that is gone already has nothing to count.
    await CancellationScope.nonCancellable(() =>
      tellBatcher(route, { kind: 'leave', conversationId: settings.conversationId }).catch((err: unknown) =>
        log.warn('could not tell the batcher this conversation ended', { error: String(err) }),
      ),
    );
  }

  const endReason: EndReason = outcome;
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
  if (workflowCancelled) throw workflowCancelled;

  return {
    conversationId: settings.conversationId,
    endReason,
    turns: state.turns,
    completedTurns: state.turns.length,
    maxTurns: settings.maxTurns,
    ...paths,
    averageProcessingTimeMs: averageProcessingTimeMs(state.turns),
    ...(error ? { error } : {}),
    ...usageTotals(state.turns, state.unrecorded),
  };
}

async function runTurns(
  settings: Settings,
  state: State,
  showDetails: () => void,
  sparseAttributes: boolean,
  route: CloudBatchRoute | undefined,
): Promise<EndReason | typeof CONTINUE_AS_NEW> {
  const { turns } = state;
  let turnsThisRun = 0;
  for (;;) {
    // A durable wait with no timer of its own: the run holds no worker slot while paused.
    if (state.paused && !state.stopRequested) await condition(() => !state.paused || state.stopRequested);
    if (state.stopRequested) return state.stopForBudget ? 'budget' : 'stop_signal';
    if (turns.length >= settings.maxTurns) return 'max_turns';

    const n = turns.length + 1;
    const query = turns.at(-1)?.localResponse ?? settings.initialQuery;
    const request = cloudRequest(settings, turns, query);
    const first = route
      ? await cloudInBatch(route, settings, state, request, n)
      : await askCloud.executeWithOptions(onQueue(state.taskQueues?.cloud, `turn ${n} · cloud`), [request]);
    if (first === STOPPED) return 'cancelled';
    let cloud = first;
    const refused: { cloud: AskCloudOutput[]; local: AskLocalOutput[] } = { cloud: [], local: [] };
    const guard = state.novelty;
    // Each message so far, the seed first and this turn's query last: what a new reply must not say again.
    const said = guard
      ? [settings.initialQuery, ...turns.flatMap((t) => [t.cloudResponse, t.localResponse])]
      : [];
    const repeatOptions = { wordSets: state.noveltyWordSets === true };
    while (guard && findRepeat(cloud.response, said, guard.threshold, repeatOptions)) {
      refused.cloud.push(cloud);
      if (refused.cloud.length > guard.maxResamples) {
        state.unrecorded.push(unrecordedCall('cloud', refused.cloud));
        log.info('cloud answer still repeats after its resamples', {
          turn: n,
          resamples: guard.maxResamples,
        });
        return 'repetition';
      }
      const attempt = refused.cloud.length;
      const sampling = resampleSampling({
        side: 'cloud',
        attempt,
        temperature: settings.cloud?.temperature,
        conversationId: settings.conversationId,
        turn: n,
      });
      const resampled = await askCloud.executeWithOptions(
        onQueue(state.taskQueues?.cloud, `turn ${n} · cloud · resample ${attempt}`),
        [cloudResampleRequest(settings, turns, query, sampling)],
      );
      // A batch campaign's resamples are asked on demand: one reply does not wait for another job.
      cloud = route ? { ...resampled, mode: 'on_demand' } : resampled;
    }
    let local = await askLocal.executeWithOptions(onQueue(state.taskQueues?.local, `turn ${n} · local`), [
      localRequest(settings, query, cloud.response, n),
    ]);
    let localRepeats = false;
    while (guard && findRepeat(local.question, [...said, cloud.response], guard.threshold, repeatOptions)) {
      if (refused.local.length >= guard.maxResamples) {
        // The turn is kept with the question said again (its answer is new), and the conversation ends here.
        localRepeats = true;
        break;
      }
      refused.local.push(local);
      const attempt = refused.local.length;
      const sampling = resampleSampling({
        side: 'local',
        attempt,
        temperature: settings.local?.temperature,
        conversationId: settings.conversationId,
        turn: n,
      });
      local = await askLocal.executeWithOptions(
        onQueue(state.taskQueues?.local, `turn ${n} · local · resample ${attempt}`),
        [
          localResampleRequest(settings, query, cloud.response, n, sampling, {
            attempt,
            asked: [settings.initialQuery, ...turns.map((t) => t.localResponse)],
            refused: refused.local.at(-1)!.question,
          }),
        ],
      );
    }
    turns.push(turnRecord(n, query, cloud, local, refused));
    turnsThisRun++;
    const changed = turnAttributes(turns.length, cloud.model, local.model, !sparseAttributes);
    if (changed.length > 0) upsertSearchAttributes(changed);
    showDetails();

    if (saysStopPhrase(settings.stopPhrases, cloud.response, local.question)) return 'stop_phrase';
    if (localRepeats) return 'repetition';
    if (repeatsItself(turns, settings.repetitionThreshold, settings.repetitionWindow)) return 'repetition';
    if (settings.maxTotalTokens !== undefined && totalTokens(turns) >= settings.maxTotalTokens)
      return 'budget';
    if (n >= settings.maxTurns) return 'max_turns';
    // A durable pause between turns that a stop signal cuts short.
    if (settings.delayBetweenTurnsMs) {
      await condition(() => state.stopRequested, settings.delayBetweenTurnsMs, {
        summary: 'delay between turns',
      });
    }
    if (turnsThisRun >= TURNS_PER_RUN || workflowInfo().continueAsNewSuggested) return CONTINUE_AS_NEW;
  }
}

/** The refused calls of one side as one call that is in no turn. */
function unrecordedCall(side: 'cloud', calls: AskCloudOutput[]): UnrecordedCall {
  return { side, model: calls.at(-1)!.model, usage: sumUsage(calls), cost: sumCost(calls) };
}

/**
 * Marks a run whose novelty guard also takes the same words in another order for a repeat (see WORD_SET_REPEAT);
 * runs of the guard recorded before it compare word trigrams only.
 */
export const NOVELTY_WORD_SETS_PATCH = 'novelty-word-sets';

/**
 * Marks a run with the novelty guard (the conversation's `novelty` option, on by default): a repeated reply is asked
 * for again, which adds activities to the turn. Runs recorded before it (no marker) replay without the guard.
 */
export const NOVELTY_GUARD_PATCH = 'novelty-guard';

/** The turn's batch job was stopped from outside: the conversation ends as cancelled, exporting what was said. */
const STOPPED = Symbol('stopped');

function tellBatcher(route: CloudBatchRoute, message: CloudBatchMessage): Promise<void> {
  return getExternalWorkflowHandle(route.batcherWorkflowId).signal(cloudBatchSignal, message);
}

/**
 * A batch turn: the request is staged in S3, the batcher is told, and the turn waits (durably, holding no worker
 * slot) for its answer: in a job's output, or "ask on demand" when a job would be too small or its attempts are
 * spent. The cloud latency recorded is the wait.
 */
async function cloudInBatch(
  route: CloudBatchRoute,
  settings: Settings,
  state: State,
  request: AskCloudInput,
  n: number,
): Promise<AskCloudOutput | typeof STOPPED> {
  const { conversationId } = settings;
  const { modelId } = await stageCloudRequest.executeWithOptions({ summary: `turn ${n} · batch request` }, [
    { route, conversationId, request: { ...request, turn: n } },
  ]);
  const requestedAt = Date.now();
  await tellBatcher(route, { kind: 'request', conversationId, turn: n, modelId });
  await condition(() => state.batchAnswers.has(n));
  const answer = state.batchAnswers.get(n)!;
  state.batchAnswers.delete(n);
  switch (answer.kind) {
    case 'answered':
      return readCloudAnswer.executeWithOptions({ summary: `turn ${n} · batch answer` }, [
        { route, conversationId, turn: n, requestedAt, answeredAt: answer.receivedAt },
      ]);
    case 'onDemand': {
      const output = await askCloud.executeWithOptions(
        onQueue(state.taskQueues?.cloud, `turn ${n} · cloud (on demand)`),
        [request],
      );
      return { ...output, mode: 'on_demand' };
    }
    case 'failed':
      throw ApplicationFailure.nonRetryable(answer.message, FailureType.CloudRejected);
    case 'stopped':
      return STOPPED;
  }
}

function onQueue(taskQueue: string | undefined, summary: string): ActivityOptions {
  return taskQueue ? { summary, taskQueue } : { summary };
}

/**
 * Since SPARSE_TURN_ATTRIBUTES_PATCH, ConversationTurns is upserted when a run starts, continues as new and ends, not
 * after every turn: each upsert is a visibility write on the server, ~12% of its CPU per turn when done every turn.
 * The live count is in the run's current details and the `transcript` query. Histories from before the patch
 * upserted it every turn and replay that way.
 */
export const SPARSE_TURN_ATTRIBUTES_PATCH = 'sparse-turn-attributes';

/** The search attributes a finished turn changes. */
function turnAttributes(
  completed: number,
  cloudModel: string,
  localModel: string,
  countEveryTurn: boolean,
): SearchAttributeUpdatePair[] {
  const current = workflowInfo().typedSearchAttributes;
  return [
    ...(countEveryTurn ? [{ key: TURNS_COMPLETED, value: completed }] : []),
    // The models that actually answered: the input may leave them to the defaults of each side.
    ...(current.get(CLOUD_MODEL) === cloudModel ? [] : [{ key: CLOUD_MODEL, value: cloudModel }]),
    ...(current.get(LOCAL_MODEL) === localModel ? [] : [{ key: LOCAL_MODEL, value: localModel }]),
  ];
}

function status(state: State): ConversationStatus {
  if (state.phase !== 'talking') return state.phase;
  if (state.stopRequested) return 'stopping';
  return state.paused ? 'paused' : 'running';
}

function transcript(settings: Settings, state: State): TranscriptState {
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
function currentDetails(settings: Settings, state: State): string {
  const progress = `turn ${state.turns.length} of ${settings.maxTurns}`;
  const line = state.endReason
    ? `**${status(state)}** · ${progress} · ended by \`${state.endReason}\``
    : `**${status(state)}** · ${progress} · times out at ${new Date(state.deadline).toISOString()}`;
  const run = state.runs ? ` · run ${state.runs + 1} (continued as new)` : '';
  return `${line}${run}\n\n${staticSummary(settings)}`;
}

function saysStopPhrase(phrases: string[] | undefined, ...texts: string[]): boolean {
  if (!phrases?.length) return false;
  const lowered = texts.map((t) => t.toLowerCase());
  return phrases.some((p) => lowered.some((t) => t.includes(p.toLowerCase())));
}

/**
 * Marks a run that was refused by input rules v2 (see input.ts): its history has the marker, so a replay refuses
 * it again, while a run started before those rules (no marker) replays under the rules it was accepted by.
 */
export const INPUT_RULES_V2_PATCH = 'input-rules-v2';

/**
 * The API validates before starting; this covers starts from the Temporal CLI or UI. A rule added later must not
 * fail a conversation accepted before it: one that continued-as-new (`continued`), or one whose history predates
 * the rule. Those take the earlier rules; the export then falls back if their outputFile is refused now.
 * `patched` is only reached by an input the current rules refuse, so valid runs record no marker.
 */
function withDefaults(rawInput: ConversationInput, continued: boolean, batch: boolean): Settings {
  const schemas = inputSchemas();
  let parsed = schemas.conversationInput.safeParse(rawInput);
  if (!parsed.success && (continued || !patched(INPUT_RULES_V2_PATCH))) {
    const earlier = schemas.conversationInputV1.safeParse(rawInput);
    if (earlier.success) parsed = earlier;
  }
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

function describeFailure(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof Error) {
    const type = cause instanceof ApplicationFailure ? (cause.type ?? cause.name) : cause.name;
    return { type, message: cause.message };
  }
  return { type: 'Error', message: String(cause) };
}
