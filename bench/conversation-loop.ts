/**
 * The fair baseline: a plain in-process async loop that calls the worker's own activity functions, built over the
 * same clients and configuration (activitiesDepsFromConfig), with the inputs the workflow gives them
 * (src/conversation/workflows/turn.ts: the same history window, prompts and token limits), and the same export at
 * the end. Each call runs in a MockActivityEnvironment with the workflow's timeouts, so the only thing missing is
 * durability: no Temporal, no workflow, no API hop.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Info } from '@temporalio/activity';
import { createActivities } from '../src/conversation/activities';
import type { ConversationInput, Turn } from '../src/contracts/conversation';
import { activitiesDepsFromConfig } from '../src/worker/dependencies';
import { cloudRequest, localRequest, turnRecord } from '../src/conversation/workflows/turn';
import { loadConfig } from '../src/shared/config';

const logger = new DefaultLogger('WARN');

/** The timeouts conversationWorkflow gives each activity (attemptTimeLeftMs reads them). */
const TIMEOUTS: Record<'askCloud' | 'askLocal' | 'exportTranscript', Partial<Info>> = {
  askCloud: {
    startToCloseTimeoutMs: 90_000,
    scheduleToCloseTimeoutMs: 15 * 60_000,
    heartbeatTimeoutMs: 30_000,
  },
  askLocal: {
    startToCloseTimeoutMs: 5 * 60_000,
    scheduleToCloseTimeoutMs: 20 * 60_000,
    heartbeatTimeoutMs: 30_000,
  },
  exportTranscript: { startToCloseTimeoutMs: 60_000, scheduleToCloseTimeoutMs: 10 * 60_000 },
};

/** `stackEnv`: the bench stack's environment, so the activities reach the same services the worker does. */
export function createPlainLoop(stackEnv: Record<string, string>) {
  const activities = createActivities(activitiesDepsFromConfig(loadConfig(stackEnv)));
  function run<A, R>(name: keyof typeof TIMEOUTS, fn: (input: A) => Promise<R>, input: A): Promise<R> {
    const env = new MockActivityEnvironment(
      { ...TIMEOUTS[name], activityType: name, scheduledTimestampMs: Date.now() },
      { logger },
    );
    return env.run(fn, input);
  }
  /** `input`: as the API completes it (withConfigDefaults), so the settings are the workflow's. */
  return async function converse(input: ConversationInput): Promise<Turn[]> {
    const { conversationId = 'plain', initialQuery, maxTurns = 1 } = input;
    const turns: Turn[] = [];
    for (let n = 1; n <= maxTurns; n++) {
      const query = turns.at(-1)?.localResponse ?? initialQuery;
      const cloud = await run('askCloud', activities.askCloud, cloudRequest(input, turns, query));
      const local = await run(
        'askLocal',
        activities.askLocal,
        localRequest(input, query, cloud.response, n, turns),
      );
      turns.push(turnRecord(n, query, cloud, local));
    }
    await run('exportTranscript', activities.exportTranscript, {
      conversationId,
      endReason: 'max_turns',
      turns,
    });
    return turns;
  };
}
