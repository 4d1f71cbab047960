/**
 * The conversation workflow's activities, each with its timeouts and retry policy: every option of the workflow's
 * calls is here.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../contracts/conversation';
import type { ConversationActivities } from '../activities';

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
export const { askCloud } = proxyActivities<ConversationActivities>({
  // The outermost deadline of the cloud path: above the REST service's UPSTREAM_TIMEOUT_MS (default 60 s) plus the
  // activity's ACTIVITY_DEADLINE_MARGIN_MS; askCloud sends what is left of it inward.
  startToCloseTimeout: '90 seconds',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: cloudRetry,
});
export const { askLocal } = proxyActivities<ConversationActivities>({
  // A CPU-only local model can be slow on a small machine.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '20 minutes',
  retry: localRetry,
});
/** Answered by this worker at once from its configuration; retried briefly should the worker be going away. */
export const { providerTaskQueues } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});
/** A batch turn's S3 steps (stage the request, read the answer): small objects, retried like the export. */
export const { stageCloudRequest, readCloudAnswer } = proxyActivities<ConversationActivities>({
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
 * The export writes two files, as a local activity: inside the workflow task that ends the conversation, with no
 * task of its own on the server and without the transcript as its input in the history (a local activity's result
 * is recorded, its input is not). A worker that dies during it is noticed at the workflow task's timeout (5 s in a
 * campaign) and the export runs again on the worker that takes the task over.
 */
export const { exportTranscript } = proxyLocalActivities<ConversationActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: exportRetry,
});

/** A model call's options: its summary in the history, on its provider's task queue. */
export function onQueue(taskQueue: string, summary: string): ActivityOptions {
  return { summary, taskQueue };
}
