/** The floor's task queue, beside the product's `llm-conversations` on the same server. */
export const FLOOR_TASK_QUEUE = 'bench-floor';
