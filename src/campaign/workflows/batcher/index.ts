import {
  CancellationScope,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { batchWaitsMs, DEFAULT_BATCH_MIN_RECORDS, MAX_BATCH_RECORDS } from '../../../contracts/batch-spec';
import {
  cloudBatchAnswerSignal,
  cloudBatchSignal,
  finishCloudBatchSignal,
  type CloudBatchAnswer,
} from '../../../contracts/batcher';
import { collectBatchJob, describeBatchJob, stopBatchJob, submitBatchJob } from './activities';
import {
  key,
  sortTurns,
  type CloudBatchCarry,
  type CloudBatchInput,
  type CloudBatchStats,
  type Job,
  type Waiting,
} from './state';
import type { TurnOutcome } from '../../../models/bedrock-batch/jobs';

export type { CloudBatchCarry, CloudBatchInput, CloudBatchStats } from './state';

/**
 * The batcher of a batch campaign (`cloudBatchWorkflow`, id `<campaign workflow id>-cloud-batch`): its
 * conversations send it their turns' cloud requests (staged in S3), it sends them to Bedrock as batch inference
 * jobs, waits on durable timers with backoff, and answers each turn from the job's output.
 *
 * When to send: once every conversation that joined is waiting (and none joined for `settleSeconds`), after
 * `maxWaitMinutes` with whatever is waiting, or at Bedrock's largest job. Fewer requests of a model than
 * `minRecords` (Bedrock's per-job minimum) go on demand. After a job, turns with a retryable error line or no line
 * at all (PartiallyCompleted, Expired, Failed) wait for the next job, up to MAX_RECORD_ERRORS and
 * MAX_UNANSWERED_JOBS, then go on demand; a 4xx error line fails the turn. A job stopped from outside stops its
 * turns' conversations (they end cancelled); the campaign's cancel stops every job in flight.
 */
export async function cloudBatchWorkflow(
  input: CloudBatchInput,
  carry?: CloudBatchCarry,
): Promise<CloudBatchStats> {
  const { campaignId, cloudBatch } = input;
  const timing = batchWaitsMs(cloudBatch);
  const minRecords = cloudBatch.minRecords ?? DEFAULT_BATCH_MIN_RECORDS;
  const maxWaitMs = cloudBatch.maxWaitMinutes === undefined ? undefined : cloudBatch.maxWaitMinutes * 60_000;
  const active = new Set(carry?.active ?? []);
  const waiting = new Map((carry?.waiting ?? []).map((w) => [key(w.conversationId, w.turn), w]));
  const jobs: Job[] = carry?.jobs ?? [];
  const stats: CloudBatchStats = carry?.stats ?? {
    jobs: 0,
    answered: 0,
    onDemand: 0,
    failed: 0,
    stopped: 0,
    resubmitted: 0,
  };
  let nextSubmission = carry?.nextSubmission ?? 0;
  let lastJoinAt = carry?.lastJoinAt ?? 0;
  let finishing = carry?.finishing ?? false;
  let cancelRequested = false;
  let changed = false;

  setHandler(cloudBatchSignal, (message) => {
    changed = true;
    if (message.kind === 'join') {
      if (!active.has(message.conversationId)) lastJoinAt = Date.now();
      active.add(message.conversationId);
    } else if (message.kind === 'leave') {
      active.delete(message.conversationId);
    } else {
      active.add(message.conversationId);
      const id = key(message.conversationId, message.turn);
      const known =
        waiting.has(id) || jobs.some((j) => j.turns.some((t) => key(t.conversationId, t.turn) === id));
      if (!known) {
        waiting.set(id, {
          conversationId: message.conversationId,
          turn: message.turn,
          modelId: message.modelId,
          since: Date.now(),
          recordErrors: 0,
          unansweredJobs: 0,
        });
      }
    }
  });
  setHandler(finishCloudBatchSignal, (request) => {
    changed = true;
    finishing = true;
    if (request?.cancel) cancelRequested = true;
  });

  const answer = async (turns: Waiting[], make: (turn: number) => CloudBatchAnswer) => {
    await Promise.all(
      turns.map((w) =>
        getExternalWorkflowHandle(w.conversationId)
          .signal(cloudBatchAnswerSignal, make(w.turn))
          .catch((err: unknown) =>
            // A conversation that ended meanwhile (its timeout) has no use for the answer.
            log.warn('could not answer a conversation', {
              conversationId: w.conversationId,
              error: String(err),
            }),
          ),
      ),
    );
  };
  const onDemand = async (turns: Waiting[], reason: string) => {
    stats.onDemand += turns.length;
    await answer(turns, (turn) => ({ turn, kind: 'onDemand', reason }));
  };

  const sendDue = (now: number): boolean => {
    if (waiting.size === 0) return false;
    if (waiting.size >= MAX_BATCH_RECORDS) return true;
    const asking = new Set([...waiting.values()].map((w) => w.conversationId));
    const everyoneWaits = [...active].every((id) => asking.has(id));
    if (everyoneWaits && now - lastJoinAt >= timing.settleMs) return true;
    const oldest = Math.min(...[...waiting.values()].map((w) => w.since));
    return maxWaitMs !== undefined && now - oldest >= maxWaitMs;
  };

  /** Every waiting turn goes out: in one job per model, or on demand where a model has too few. */
  const send = async () => {
    const byModel = new Map<string, Waiting[]>();
    for (const w of waiting.values()) byModel.set(w.modelId, [...(byModel.get(w.modelId) ?? []), w]);
    waiting.clear();
    for (const [modelId, all] of byModel) {
      for (let start = 0; start < all.length; start += MAX_BATCH_RECORDS) {
        const turns = all.slice(start, start + MAX_BATCH_RECORDS);
        if (turns.length < minRecords) {
          await onDemand(turns, `${turns.length} requests, fewer than minRecords (${minRecords})`);
          continue;
        }
        const submission = nextSubmission++;
        let job;
        try {
          job = await submitBatchJob.executeWithOptions(
            { summary: `job ${submission} · ${turns.length} records · ${modelId}` },
            [
              {
                campaignId,
                cloudBatch,
                modelId,
                turns: turns.map((t) => ({ conversationId: t.conversationId, turn: t.turn })),
                submission,
              },
            ],
          );
        } catch (err) {
          if (isCancellation(err)) throw err;
          // Refused (a role Bedrock cannot assume, a model without batch inference, …) or out of retries: the
          // conversations are not left waiting.
          log.warn('batch job refused: its turns go on demand', { campaignId, modelId, error: String(err) });
          await onDemand(turns, `the batch job was refused: ${String(err)}`);
          continue;
        }
        const now = Date.now();
        jobs.push({
          jobArn: job.jobArn,
          jobName: job.jobName,
          modelId,
          turns,
          submittedAt: now,
          nextPollAt: now + timing.pollMs,
          pollDelayMs: timing.pollMs,
          stopping: false,
        });
        stats.jobs += 1;
        log.info('batch job submitted', { campaignId, jobArn: job.jobArn, records: turns.length, modelId });
      }
    }
  };

  /** A job that ended: answers go to their conversations, the rest wait for the next job or go on demand. */
  const settle = async (job: Job, status: string) => {
    const collected = await collectBatchJob
      .executeWithOptions({ summary: `collect · ${job.jobName} · ${status}` }, [
        {
          campaignId,
          cloudBatch,
          jobArn: job.jobArn,
          modelId: job.modelId,
          turns: job.turns.map((t) => ({ conversationId: t.conversationId, turn: t.turn })),
        },
      ])
      .catch((err: unknown): { outcomes: TurnOutcome[] } => {
        if (isCancellation(err)) throw err;
        // An output that cannot be read answers nothing: its turns go again.
        log.warn('batch job output unreadable: its turns go again', {
          jobArn: job.jobArn,
          error: String(err),
        });
        return { outcomes: job.turns.map((): TurnOutcome => ({ kind: 'missing' })) };
      });
    const { answered, failed, toOnDemand, stopped, again } = sortTurns(job, status, collected.outcomes);
    stats.resubmitted += again.length;
    for (const w of again) waiting.set(key(w.conversationId, w.turn), w);
    log.info('batch job ended', {
      campaignId,
      jobArn: job.jobArn,
      status,
      answered: answered.length,
      waitingAgain: again.length,
      onDemand: toOnDemand.length,
      failed: failed.length,
      stopped: stopped.length,
    });
    stats.answered += answered.length;
    stats.failed += failed.length;
    stats.stopped += stopped.length;
    await answer(answered, (turn) => ({ turn, kind: 'answered', jobArn: job.jobArn }));
    await Promise.all(
      failed.map(({ w, message }) => answer([w], (turn) => ({ turn, kind: 'failed', message }))),
    );
    await answer(stopped, (turn) => ({ turn, kind: 'stopped', jobArn: job.jobArn }));
    await onDemand(toOnDemand, 'its batch attempts are spent');
    changed = true;
  };

  const poll = async (now: number) => {
    for (const job of jobs.filter((j) => j.nextPollAt <= now)) {
      const state = await describeBatchJob
        .executeWithOptions({ summary: `status · ${job.jobName}` }, [job.jobArn])
        .catch((err: unknown) => {
          if (isCancellation(err)) throw err;
          // A job Bedrock no longer knows: as if it had failed, so its turns go again.
          log.warn('batch job status unavailable: treated as failed', {
            jobArn: job.jobArn,
            error: String(err),
          });
          return { status: 'Failed', ended: true };
        });
      if (!state.ended) {
        job.pollDelayMs = Math.min(job.pollDelayMs * 2, timing.maxPollMs);
        job.nextPollAt = Date.now() + job.pollDelayMs;
        continue;
      }
      jobs.splice(jobs.indexOf(job), 1);
      await settle(job, state.status);
    }
  };

  const stopAll = async () => {
    await Promise.all(
      jobs.map(async (job) => {
        job.stopping = true;
        const result = await stopBatchJob(job.jobArn).catch((err: unknown) => {
          log.warn('could not stop a batch job', { jobArn: job.jobArn, error: String(err) });
          return 'failed';
        });
        log.info('batch job stopped', { campaignId, jobArn: job.jobArn, result });
      }),
    );
  };

  try {
    for (;;) {
      // Signals that arrive while this pass awaits its activities set it again, and the wait below returns at once.
      changed = false;
      const now = Date.now();
      if (cancelRequested) {
        await stopAll();
        return stats;
      }
      if (sendDue(now)) await send();
      await poll(Date.now());
      if (finishing && active.size === 0 && waiting.size === 0 && jobs.length === 0) return stats;
      // A new Current Version (an upgrade) also continues as new: each run is pinned, the next starts on it.
      const { continueAsNewSuggested: full, targetWorkerDeploymentVersionChanged: upgraded } = workflowInfo();
      if ((full || upgraded) && jobs.every((j) => j.nextPollAt > Date.now())) {
        return await makeContinueAsNewFunc<typeof cloudBatchWorkflow>({
          initialVersioningBehavior: 'AUTO_UPGRADE',
        })(input, {
          active: [...active],
          waiting: [...waiting.values()],
          jobs,
          nextSubmission,
          lastJoinAt,
          finishing,
          stats,
        });
      }
      const wakeAt = nextWake(Date.now());
      await condition(
        () => changed || cancelRequested,
        wakeAt === undefined ? undefined : Math.max(1, wakeAt - Date.now()),
      );
    }
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(stopAll);
    throw err;
  }

  /** The next moment something falls due without a signal: a poll, the end of the settle time, the longest wait. */
  function nextWake(now: number): number | undefined {
    const times = jobs.map((j) => j.nextPollAt);
    if (waiting.size > 0) {
      times.push(lastJoinAt + timing.settleMs);
      if (maxWaitMs !== undefined)
        times.push(Math.min(...[...waiting.values()].map((w) => w.since)) + maxWaitMs);
    }
    const future = times.filter((t) => t > now);
    return future.length ? Math.min(...future) : undefined;
  }
}
