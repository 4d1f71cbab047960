/**
 * The conversation's turns: each turn the cloud model answers the current query and the local model asks the next
 * question from that answer, until something ends the conversation or the run is full (then it continues as new).
 */
import { condition, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { totalTokens } from '../../contracts/conversation';
import type { UnrecordedCall } from '../../contracts/conversation';
import { CLOUD_MODEL, LOCAL_MODEL } from '../search-attributes';
import type { AskCloudOutput } from '../activities/types';
import { askLocal, onQueue } from './activities';
import { cloudAnswer, STOPPED } from './cloud-turn';
import { newAnswer, newQuestion } from './novelty-loop';
import { repeatsItself } from './repetition';
import { CONTINUE_AS_NEW, type ConversationRun, type LoopEnd } from './state';
import { cloudRequest, localRequest, sumCost, sumUsage, turnRecord } from './turn';

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

export async function runTurns(run: ConversationRun): Promise<LoopEnd> {
  const { settings, state } = run;
  const { turns } = state;
  let turnsThisRun = 0;
  for (;;) {
    // A durable wait with no timer of its own: the run holds no worker slot while paused.
    if (state.paused && !state.stopRequested) await condition(() => !state.paused || state.stopRequested);
    if (state.stopRequested) return state.stopForBudget ? 'budget' : 'stop_signal';
    if (turns.length >= settings.maxTurns) return 'max_turns';

    const n = turns.length + 1;
    const query = turns.at(-1)?.localResponse ?? settings.initialQuery;
    const first = await cloudAnswer(run, cloudRequest(settings, turns, query, run.queues.context?.cloud), n);
    if (first === STOPPED) return 'cancelled';
    const said = state.novelty
      ? [settings.initialQuery, ...turns.flatMap((t) => [t.cloudResponse, t.localResponse])]
      : [];
    const soFar = { n, query, said };
    const cloud = await newAnswer(run, soFar, first);
    if (cloud.stillRepeats) {
      state.unrecorded.push(unrecordedCall('cloud', [...cloud.refused, cloud.reply]));
      log.info('cloud answer still repeats after its resamples', {
        turn: n,
        resamples: state.novelty?.maxResamples,
      });
      return 'repetition';
    }
    const answer = cloud.reply.response;
    const firstQuestion = await askLocal.executeWithOptions(onQueue(run.queues.local, `turn ${n} · local`), [
      localRequest(settings, query, answer, n, turns, run.queues.context?.local),
    ]);
    // A question still repeated keeps its turn (its answer is new), and the conversation ends after it.
    const local = await newQuestion(run, soFar, answer, firstQuestion);
    turns.push(
      turnRecord(n, query, cloud.reply, local.reply, { cloud: cloud.refused, local: local.refused }),
    );
    turnsThisRun++;
    const changed = modelAttributes(cloud.reply.model, local.reply.model);
    if (changed.length > 0) upsertSearchAttributes(changed);
    run.showDetails();

    if (saysStopPhrase(settings.stopPhrases, answer, local.reply.question)) return 'stop_phrase';
    if (local.stillRepeats) return 'repetition';
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
 * The models that actually answered, where they differ from the search attributes (the input may leave them to
 * the defaults of each side). ConversationTurns is upserted when a run starts, continues as new and ends, not
 * after every turn: each upsert is a visibility write on the server, ~12% of its CPU per turn when done every turn.
 * The live count is in the run's current details and the `transcript` query.
 */
function modelAttributes(cloudModel: string, localModel: string): SearchAttributeUpdatePair[] {
  const current = workflowInfo().typedSearchAttributes;
  return [
    ...(current.get(CLOUD_MODEL) === cloudModel ? [] : [{ key: CLOUD_MODEL, value: cloudModel }]),
    ...(current.get(LOCAL_MODEL) === localModel ? [] : [{ key: LOCAL_MODEL, value: localModel }]),
  ];
}

function saysStopPhrase(phrases: string[] | undefined, ...texts: string[]): boolean {
  if (!phrases?.length) return false;
  const lowered = texts.map((t) => t.toLowerCase());
  return phrases.some((p) => lowered.some((t) => t.includes(p.toLowerCase())));
}
