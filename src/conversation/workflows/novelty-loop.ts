/**
 * The novelty guard's loop, the same for both sides: a reply that says again what the conversation already said
 * is refused and asked for again (a new activity call, warmer, with a new seed; see novelty.ts), up to
 * `maxResamples` times.
 */
import type { AskCloudOutput, AskLocalOutput } from '../activities/types';
import { askLocal, onQueue } from './activities';
import { onDemand } from './cloud-turn';
import { findRepeat, resampleSampling, type ResampleSampling, type Side } from './novelty';
import type { ConversationRun } from './state';
import { cloudResampleRequest, localResampleRequest } from './turn';

/** A side's reply once new, or the last one asked when its resamples are spent; the replies refused before it. */
export interface Resampled<R> {
  reply: R;
  refused: R[];
  stillRepeats: boolean;
}

/** What turn `n` has said so far: its query, and each message before it (the seed first) that a reply must not repeat. */
export interface TurnSoFar {
  n: number;
  query: string;
  said: readonly string[];
}

async function untilNew<R>(
  run: ConversationRun,
  side: Side,
  n: number,
  first: R,
  text: (reply: R) => string,
  earlier: readonly string[],
  askAgain: (attempt: number, sampling: ResampleSampling, refused: R[]) => Promise<R>,
): Promise<Resampled<R>> {
  const guard = run.state.novelty;
  const refused: R[] = [];
  let reply = first;
  while (guard && findRepeat(text(reply), earlier, guard.threshold)) {
    if (refused.length >= guard.maxResamples) return { reply, refused, stillRepeats: true };
    refused.push(reply);
    const attempt = refused.length;
    const sampling = resampleSampling({
      side,
      attempt,
      temperature: run.settings[side]?.temperature,
      conversationId: run.settings.conversationId,
      turn: n,
    });
    reply = await askAgain(attempt, sampling, refused);
  }
  return { reply, refused, stillRepeats: false };
}

/** The cloud's answer, asked again while it repeats; a batch campaign's resamples are asked on demand. */
export function newAnswer(
  run: ConversationRun,
  { n, query, said }: TurnSoFar,
  first: AskCloudOutput,
): Promise<Resampled<AskCloudOutput>> {
  return untilNew(
    run,
    'cloud',
    n,
    first,
    (c) => c.response,
    said,
    (attempt, sampling) =>
      onDemand(
        run,
        cloudResampleRequest(run.settings, run.state.turns, query, sampling, run.queues.context?.cloud),
        `turn ${n} · cloud · resample ${attempt}`,
      ),
  );
}

/** The local model's next question, asked again while it repeats, told which questions were asked already. */
export function newQuestion(
  run: ConversationRun,
  { n, query, said }: TurnSoFar,
  answer: string,
  first: AskLocalOutput,
): Promise<Resampled<AskLocalOutput>> {
  const { settings, state, queues } = run;
  return untilNew(
    run,
    'local',
    n,
    first,
    (l) => l.question,
    [...said, answer],
    (attempt, sampling, refused) =>
      askLocal.executeWithOptions(onQueue(queues.local, `turn ${n} · local · resample ${attempt}`), [
        localResampleRequest(
          settings,
          query,
          answer,
          n,
          sampling,
          {
            attempt,
            asked: [settings.initialQuery, ...state.turns.map((t) => t.localResponse)],
            refused: refused.at(-1)!.question,
          },
          state.turns,
          queues.context?.local,
        ),
      ]),
  );
}
