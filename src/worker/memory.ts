import v8 from 'node:v8';

/**
 * Worker memory sized from the live conversations it is expected to hold (WORKER_EXPECTED_CONVERSATIONS):
 * - the workflow cache holds all of them plus a quarter, so no turn replays its history to rebuild an evicted run;
 * - the workflow thread's V8 heap (where the cached runs live) gets a base plus a share per conversation, so that
 *   V8 collects before the process grows far past what they need, instead of at its default limit (a quarter of
 *   the machine's memory), and a young generation of 8 MB instead of 16 (measured: docs/performance.md).
 */
export interface WorkerMemoryPlan {
  maxCachedWorkflows: number;
  workflowHeapMb: number;
  workflowSemiSpaceMb: number;
}

const BASE_HEAP_MB = 96;
const HEAP_MB_PER_CONVERSATION = 0.75;

export function workerMemoryPlan(
  expectedConversations: number,
  maxCachedWorkflows?: number,
): WorkerMemoryPlan {
  return {
    maxCachedWorkflows: maxCachedWorkflows ?? Math.max(10, Math.ceil(expectedConversations * 1.25)),
    workflowHeapMb: Math.ceil(BASE_HEAP_MB + HEAP_MB_PER_CONVERSATION * expectedConversations),
    workflowSemiSpaceMb: 8,
  };
}

/**
 * The main thread's heap limit, which only a flag on the command line sets: without one V8 lets the heap grow
 * towards a quarter of the machine's memory before it collects in earnest (at 200 live conversations × 5 turns,
 * 519 MB resident against 368 with 512; docs/performance.md).
 */
export function workerNodeArgs(mainHeapMb: number): string[] {
  return mainHeapMb > 0 ? [`--max-old-space-size=${mainHeapMb}`] : [];
}

/**
 * V8 reads these flags when it creates an isolate, so set before Worker.create they size the workflow thread
 * the SDK starts; the main thread keeps its own limits (or those given on the command line).
 */
export function sizeWorkflowHeap(plan: WorkerMemoryPlan): void {
  v8.setFlagsFromString(`--max-old-space-size=${plan.workflowHeapMb}`);
  v8.setFlagsFromString(`--max-semi-space-size=${plan.workflowSemiSpaceMb}`);
}
