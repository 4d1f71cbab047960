import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityFailure } from '@temporalio/workflow';
import {
  averageProcessingTimeMs,
  conversationInputSchema,
  DEFAULT_MAX_TURNS,
  DEFAULT_TIMEOUT_MINUTES,
  FailureType,
  NON_RETRYABLE_FAILURE_TYPES,
  stopSignal,
  transcriptQuery,
} from '../definitions';
import type {
  ConversationInput,
  ConversationResult,
  ConversationStatus,
  EndReason,
  Turn,
} from '../definitions';
import type { ChatMessage, ConversationActivities } from '../activities/types';

/** How many earlier turns the cloud model sees besides the current query. */
const HISTORY_TURNS = 4;

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

const { askCloud } = proxyActivities<ConversationActivities>({ startToCloseTimeout: '3 minutes', retry });
// A CPU-only local model can be slow on a small machine.
const { askLocal } = proxyActivities<ConversationActivities>({ startToCloseTimeout: '5 minutes', retry });
const { exportTranscript } = proxyActivities<ConversationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 10 },
});

type Settings = ConversationInput & { conversationId: string; maxTurns: number; timeoutMinutes: number };

/**
 * Two models talk for up to `maxTurns` turns. Ends at maxTurns, a `stop` signal, a stop phrase, the
 * durable timeout, or a permanent activity failure; in every case the turns said so far are exported.
 */
export async function conversationWorkflow(rawInput: ConversationInput): Promise<ConversationResult> {
  const settings = withDefaults(rawInput);
  const turns: Turn[] = [];
  let status: ConversationStatus = 'running';
  let stopRequested = false;

  setHandler(transcriptQuery, () => ({
    status,
    turns,
    completedTurns: turns.length,
    maxTurns: settings.maxTurns,
  }));
  setHandler(stopSignal, () => {
    stopRequested = true;
    if (status === 'running') status = 'stopping';
  });

  const loopScope = new CancellationScope();
  let loopSettled = false;
  const loop = loopScope.run(() => runTurns(settings, turns, () => stopRequested));
  loop.then(
    () => (loopSettled = true),
    () => (loopSettled = true),
  );

  let endReason: EndReason;
  let error: ConversationResult['error'];
  let workflowCancelled: unknown;
  try {
    const finishedInTime = await condition(() => loopSettled, settings.timeoutMinutes * 60_000);
    if (!finishedInTime) loopScope.cancel();
    try {
      endReason = await loop;
    } catch (err) {
      if (!finishedInTime && isCancellation(err)) {
        endReason = 'timeout';
      } else {
        endReason = 'error';
        error = describeFailure(err);
        log.warn('conversation ended by a failure', { ...error, completedTurns: turns.length });
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The workflow itself was cancelled: still export what was said, then report the cancellation.
    workflowCancelled = err;
    endReason = 'cancelled';
  }

  status = 'exporting';
  const paths = await CancellationScope.nonCancellable(() =>
    exportTranscript({
      conversationId: settings.conversationId,
      outputFile: settings.outputFile,
      endReason,
      turns,
    }),
  );
  status = 'completed';
  if (workflowCancelled) throw workflowCancelled;

  return {
    conversationId: settings.conversationId,
    endReason,
    turns,
    completedTurns: turns.length,
    ...paths,
    averageProcessingTimeMs: averageProcessingTimeMs(turns),
    ...(error ? { error } : {}),
  };
}

async function runTurns(settings: Settings, turns: Turn[], stopRequested: () => boolean): Promise<EndReason> {
  let query = settings.initialQuery;
  for (let n = 1; n <= settings.maxTurns; n++) {
    if (stopRequested()) return 'stop_signal';
    const cloud = await askCloud({
      messages: [...historyWindow(turns), { role: 'user', content: query }],
      system: settings.systemPrompt,
      temperature: settings.temperature,
    });
    const local = await askLocal({ question: query, answer: cloud.response, model: settings.localModel });
    turns.push({
      turn: n,
      timestamp: cloud.startedAt,
      query,
      cloudResponse: cloud.response,
      localResponse: local.question,
      processingTimeMs: Math.max(0, Date.parse(local.finishedAt) - Date.parse(cloud.startedAt)),
      cloudModel: cloud.model,
      localModel: local.model,
      cloudLatencyMs: cloud.latencyMs,
      localLatencyMs: local.latencyMs,
      cloudUsage: cloud.usage,
      localUsage: local.usage,
    });
    if (saysStopPhrase(settings.stopPhrases, cloud.response, local.question)) return 'stop_phrase';
    query = local.question;
    // A durable pause that a stop signal cuts short.
    if (settings.delayBetweenTurnsMs && n < settings.maxTurns)
      await condition(stopRequested, settings.delayBetweenTurnsMs);
  }
  return 'max_turns';
}

function historyWindow(turns: Turn[]): ChatMessage[] {
  return turns.slice(-HISTORY_TURNS).flatMap((t): ChatMessage[] => [
    { role: 'user', content: t.query },
    { role: 'assistant', content: t.cloudResponse },
  ]);
}

function saysStopPhrase(phrases: string[] | undefined, ...texts: string[]): boolean {
  if (!phrases?.length) return false;
  const lowered = texts.map((t) => t.toLowerCase());
  return phrases.some((p) => lowered.some((t) => t.includes(p.toLowerCase())));
}

/** The API validates before starting; this covers starts from the Temporal CLI or UI. */
function withDefaults(rawInput: ConversationInput): Settings {
  const parsed = conversationInputSchema.safeParse(rawInput);
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
    timeoutMinutes: input.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
  };
}

function describeFailure(err: unknown): { type: string; message: string } {
  const cause = err instanceof Error && err.name === 'ActivityFailure' ? (err as ActivityFailure).cause : err;
  if (cause instanceof Error) {
    const type =
      cause.name === 'ApplicationFailure' ? ((cause as ApplicationFailure).type ?? cause.name) : cause.name;
    return { type, message: cause.message };
  }
  return { type: 'Error', message: String(cause) };
}
