/**
 * The three ways the benchmark runs one conversation, all with the same input as the API completes it: our full
 * path (the Conversation API, `?wait=true`), our workflow started with the client (no API hop), the Temporal floor
 * (floor/workflow.ts, optionally with some of our features added back) and the plain loop (conversation-loop.ts).
 * Each resolves with the wall time in ms and the workflow id it used, if any.
 */
import { withConfigDefaults } from '../src/conversation/start';
import type { ConversationInput } from '../src/contracts/conversation';
import { WORKFLOW_TYPE } from '../src/contracts/conversation';
import { loadConfig } from '../src/shared/config';
import { converseViaApi } from './api-client';
import { createPlainLoop } from './conversation-loop';
import type { FloorFeatures } from './floor/workflow';
import { FLOOR_TASK_QUEUE, type BenchStack } from './full-stack';

export interface Finished {
  wallMs: number;
  workflowId?: string;
  turns: number;
}

export type PathName = 'ours' | 'direct' | 'floor' | 'plain';

export function conversationPaths(stack: BenchStack) {
  const config = loadConfig(stack.env);
  const input = (conversationId: string, initialQuery: string, maxTurns: number): ConversationInput =>
    withConfigDefaults({ conversationId, initialQuery, maxTurns }, config);
  const plain = createPlainLoop(stack.env);
  const timed = async (work: () => Promise<{ turns: number; workflowId?: string }>): Promise<Finished> => {
    const started = performance.now();
    const done = await work();
    return { ...done, wallMs: performance.now() - started };
  };
  return {
    ours: (id: string, query: string, turns: number) =>
      timed(async () => {
        const run = await converseViaApi(stack, input(id, query, turns));
        return { turns: run.completedTurns, workflowId: id };
      }),
    direct: (id: string, query: string, turns: number) =>
      timed(async () => {
        const result = (await stack.client.workflow.execute(WORKFLOW_TYPE, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: id,
          args: [input(id, query, turns)],
        })) as { completedTurns: number };
        return { turns: result.completedTurns, workflowId: id };
      }),
    floor: (id: string, query: string, turns: number, features: FloorFeatures = {}) =>
      timed(async () => {
        const done = (await stack.client.workflow.execute('benchFloorWorkflow', {
          taskQueue: FLOOR_TASK_QUEUE,
          workflowId: id,
          args: [{ ...input(id, query, turns), initialQuery: query, maxTurns: turns, features }],
        })) as number;
        return { turns: done, workflowId: id };
      }),
    plain: (id: string, query: string, turns: number) =>
      timed(async () => ({ turns: (await plain(input(id, query, turns))).length })),
  };
}
