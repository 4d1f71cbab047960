/**
 * The Temporal floor (bench only, in its own bundle): the conversation's two model activities per turn with the
 * same inputs (src/conversation/workflows/turn.ts), startToClose only, and nothing else. Each `features` flag adds
 * back one thing the conversation workflow does, so the benchmark can price it alone.
 */
import {
  defineQuery,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ConversationActivities } from '../../src/conversation/activities';
import type { ConversationInput, Turn } from '../../src/contracts/conversation';
import { TURNS_COMPLETED } from '../../src/conversation/search-attributes';
import { cloudRequest, localRequest, turnRecord } from '../../src/conversation/workflows/turn';

/** Turns done so far: how long a query waits is what `queryLatency` in features.ts measures. */
export const turnsDoneQuery = defineQuery<number>('turnsDone');

export interface FloorFeatures {
  /** The conversation's heartbeat timeout on both model calls. */
  heartbeats?: boolean;
  /** A summary on each activity, as the conversation sets for the Web UI. */
  summaries?: boolean;
  /** A search attribute upsert after every turn. */
  upsertEveryTurn?: boolean;
  /** The transcript export activity at the end. */
  export?: boolean;
  /** The local model call as a local activity (the cloud call stays a regular one). */
  localActivity?: boolean;
}

/** The conversation's input as the API completes it (withConfigDefaults), plus the features to add back. */
export interface FloorInput extends Pick<ConversationInput, 'cloud' | 'local'> {
  conversationId: string;
  initialQuery: string;
  maxTurns: number;
  features?: FloorFeatures;
}

// The conversation's startToClose timeouts; its heartbeat timeout only when asked for.
const bare = {
  askCloud: proxyActivities<ConversationActivities>({ startToCloseTimeout: '90 seconds' }).askCloud,
  askLocal: proxyActivities<ConversationActivities>({ startToCloseTimeout: '5 minutes' }).askLocal,
};
const heartbeating = {
  askCloud: proxyActivities<ConversationActivities>({
    startToCloseTimeout: '90 seconds',
    heartbeatTimeout: '30 seconds',
  }).askCloud,
  askLocal: proxyActivities<ConversationActivities>({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '30 seconds',
  }).askLocal,
};
const { askLocal: askLocalInWorker } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '5 minutes',
});
const { exportTranscript } = proxyActivities<ConversationActivities>({ startToCloseTimeout: '1 minute' });

export async function benchFloorWorkflow(input: FloorInput): Promise<number> {
  const { conversationId, initialQuery, maxTurns, features = {} } = input;
  const { askCloud, askLocal: askLocalRemote } = features.heartbeats ? heartbeating : bare;
  const askLocal = features.localActivity ? askLocalInWorker : askLocalRemote;
  const turns: Turn[] = [];
  setHandler(turnsDoneQuery, () => turns.length);
  for (let n = 1; n <= maxTurns; n++) {
    const query = turns.at(-1)?.localResponse ?? initialQuery;
    const cloudInput = cloudRequest(input, turns, query);
    const cloud = features.summaries
      ? await askCloud.executeWithOptions({ summary: `turn ${n} · cloud` }, [cloudInput])
      : await askCloud(cloudInput);
    const localInput = localRequest(input, query, cloud.response, n, turns);
    const local = features.summaries
      ? await askLocal.executeWithOptions({ summary: `turn ${n} · local` }, [localInput])
      : await askLocal(localInput);
    turns.push(turnRecord(n, query, cloud, local));
    if (features.upsertEveryTurn) upsertSearchAttributes([{ key: TURNS_COMPLETED, value: n }]);
  }
  if (features.export) await exportTranscript({ conversationId, endReason: 'max_turns', turns });
  return turns.length;
}
