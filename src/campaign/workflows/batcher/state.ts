/** What the batcher holds: the turns waiting, the jobs in flight, its counts, and what a run hands to the next. */
import type { CloudBatch } from '../../../contracts/batch-spec';
import type { TurnOutcome } from '../../../models/bedrock-batch/jobs';

/**
 * How often a batch record is tried before its turn goes on demand: answers with a retryable error line, and jobs
 * that ended without answering it (PartiallyCompleted, Expired, Failed).
 */
export const MAX_RECORD_ERRORS = 3;
export const MAX_UNANSWERED_JOBS = 3;

export interface CloudBatchInput {
  campaignId: string;
  cloudBatch: CloudBatch;
}

/** One turn waiting for its answer. */
export interface Waiting {
  conversationId: string;
  turn: number;
  modelId: string;
  /** Workflow time it arrived (epoch ms). */
  since: number;
  recordErrors: number;
  unansweredJobs: number;
}

export interface Job {
  jobArn: string;
  jobName: string;
  modelId: string;
  turns: Waiting[];
  submittedAt: number;
  nextPollAt: number;
  pollDelayMs: number;
  /** We asked Bedrock to stop it (a cancel), so `Stopped` is ours, not a user's. */
  stopping: boolean;
}

export interface CloudBatchStats {
  jobs: number;
  /** Turns answered in a job, sent on demand, failed, stopped. */
  answered: number;
  onDemand: number;
  failed: number;
  stopped: number;
  /** Records sent again after a partial, expired or failed job, or a retryable error line. */
  resubmitted: number;
}

/** What a run hands to the next when it continues-as-new. */
export interface CloudBatchCarry {
  active: string[];
  waiting: Waiting[];
  jobs: Job[];
  nextSubmission: number;
  lastJoinAt: number;
  finishing: boolean;
  stats: CloudBatchStats;
}

/** A turn's key: a conversation asks once per turn. */
export const key = (conversationId: string, turn: number) => `${conversationId}#${turn}`;

/** Where each turn of a job that ended goes, by its record's outcome (counting the attempts a turn has had). */
export function sortTurns(job: Job, status: string, outcomes: TurnOutcome[]) {
  const answered: Waiting[] = [];
  const failed: { w: Waiting; message: string }[] = [];
  const toOnDemand: Waiting[] = [];
  const stopped: Waiting[] = [];
  const again: Waiting[] = [];
  job.turns.forEach((w, i) => {
    const outcome: TurnOutcome = outcomes[i] ?? { kind: 'missing' };
    if (outcome.kind === 'answered') answered.push(w);
    else if (status === 'Stopped' && !job.stopping) stopped.push(w);
    else if (outcome.kind === 'error' && !outcome.retryable) {
      failed.push({
        w,
        message: `Bedrock refused the record (${outcome.errorCode}): ${outcome.errorMessage}`,
      });
    } else {
      if (outcome.kind === 'error') w.recordErrors += 1;
      else w.unansweredJobs += 1;
      if (w.recordErrors >= MAX_RECORD_ERRORS || w.unansweredJobs >= MAX_UNANSWERED_JOBS) toOnDemand.push(w);
      else again.push(w);
    }
  });
  return { answered, failed, toOnDemand, stopped, again };
}
