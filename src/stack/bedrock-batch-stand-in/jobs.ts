/**
 * The batch inference jobs of the local Bedrock stand-in, kept in memory: created idempotently by
 * clientRequestToken, then run the way Bedrock runs them. Submitted → Validating (the input is read from S3 and
 * checked, including the per-job minimum of records) → Scheduled (BEDROCK_BATCH_JOB_DELAY_MS) → InProgress (every
 * record answered through the model provider) → Completed, or PartiallyCompleted / Expired / Failed / Stopped.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { messageOf } from '../../contracts/errors';
import type { BatchManifest } from '../../models/bedrock-batch/output';
import type { Logger } from '../../shared/logger';
import type { ModelProvider } from '../../../lambda/providers/types';
import { answerRecord } from './answer';
import { BedrockServiceError } from './errors';
import type { FaultQueue, JobFault } from './faults';
import {
  InputValidationError,
  readInput,
  writeOutput,
  type InputFile,
  type InputRecord,
  type OutputLine,
} from './records';
import type { CreateJobBody, JobStatus, ListJobsQuery } from './wire';

/** Bedrock's largest job (records); the smallest is the deployment's quota, `minRecords`. */
export const MAX_RECORDS_PER_JOB = 50_000;
const DEFAULT_TIMEOUT_HOURS = 168;
const TERMINAL: ReadonlySet<JobStatus> = new Set([
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
]);

export interface BatchJobsDeps {
  s3: S3Client;
  provider: ModelProvider;
  /** The model the provider is asked for a job's modelId; undefined: the provider's own default model. */
  modelFor: (modelId: string) => string | undefined;
  region: string;
  accountId: string;
  /** How long a job stays Scheduled before it runs. */
  delayMs: number;
  /** Records of one job answered at once. */
  concurrency: number;
  /** Fewer records than this fail the job's validation, like Bedrock's per-job minimum. */
  minRecords: number;
  faults: FaultQueue;
  logger: Logger;
}

/** GetModelInvocationJob's response (and, field for field, a ListModelInvocationJobs summary). */
export interface JobDescription {
  jobArn: string;
  jobName: string;
  modelId: string;
  clientRequestToken: string;
  roleArn: string;
  status: JobStatus;
  message?: string;
  submitTime: string;
  lastModifiedTime: string;
  endTime?: string;
  inputDataConfig: CreateJobBody['inputDataConfig'];
  outputDataConfig: CreateJobBody['outputDataConfig'];
  vpcConfig?: CreateJobBody['vpcConfig'];
  timeoutDurationInHours: number;
  jobExpirationTime: string;
  modelInvocationType: 'InvokeModel' | 'Converse';
  totalRecordCount?: number;
  processedRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
}

interface Job {
  id: string;
  arn: string;
  request: CreateJobBody & { clientRequestToken: string };
  status: JobStatus;
  message?: string;
  submitTime: Date;
  lastModifiedTime: Date;
  endTime?: Date;
  counts?: { total: number; processed: number; success: number; error: number };
  fault: JobFault;
  timer?: NodeJS.Timeout;
  /** Aborted by StopModelInvocationJob and by close(): no further record is started. */
  abort: AbortController;
}

export class BatchJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly byToken = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: BatchJobsDeps) {}

  create(body: CreateJobBody): { jobArn: string } {
    if (body.modelInvocationType !== 'Converse') {
      throw new BedrockServiceError(
        'ValidationException',
        'The local Bedrock stand-in runs Converse jobs only: set modelInvocationType to Converse',
      );
    }
    const token = body.clientRequestToken ?? randomBytes(16).toString('hex');
    const request = { ...body, clientRequestToken: token };
    const earlier = this.byToken.get(token);
    if (earlier) {
      if (stringify(earlier.request) !== stringify(request)) {
        throw new BedrockServiceError(
          'ConflictException',
          `The clientRequestToken ${token} was already used for a different request (job ${earlier.arn})`,
        );
      }
      return { jobArn: earlier.arn };
    }
    const id = jobId();
    const now = new Date();
    const job: Job = {
      id,
      arn: `arn:aws:bedrock:${this.deps.region}:${this.deps.accountId}:model-invocation-job/${id}`,
      request,
      status: 'Submitted',
      submitTime: now,
      lastModifiedTime: now,
      fault: this.deps.faults.nextJob() ?? { errorCode: 500 },
      abort: new AbortController(),
    };
    this.jobs.set(id, job);
    this.byToken.set(token, job);
    this.deps.logger.info({ jobArn: job.arn, jobName: body.jobName, fault: job.fault }, 'job submitted');
    this.track(this.validate(job));
    return { jobArn: job.arn };
  }

  get(identifier: string): JobDescription {
    return describe(this.find(identifier));
  }

  stop(identifier: string): void {
    const job = this.find(identifier);
    if (TERMINAL.has(job.status)) {
      throw new BedrockServiceError(
        'ConflictException',
        `The job ${job.arn} is ${job.status} and cannot be stopped`,
      );
    }
    if (job.status === 'Stopping') return;
    job.abort.abort();
    clearTimeout(job.timer);
    // A job that has not started stops at once; a running one after the records in flight.
    this.transition(job, job.status === 'InProgress' ? 'Stopping' : 'Stopped');
  }

  list(query: ListJobsQuery): { invocationJobSummaries: JobDescription[]; nextToken?: string } {
    const matching = [...this.jobs.values()]
      .filter((job) => !query.statusEquals || job.status === query.statusEquals)
      .filter((job) => !query.nameContains || job.request.jobName.includes(query.nameContains))
      .filter((job) => !query.submitTimeAfter || job.submitTime > query.submitTimeAfter)
      .filter((job) => !query.submitTimeBefore || job.submitTime < query.submitTimeBefore)
      .sort((a, b) => a.submitTime.getTime() - b.submitTime.getTime());
    if (query.sortOrder !== 'Ascending') matching.reverse();
    const start = query.nextToken ? Number.parseInt(query.nextToken, 10) : 0;
    if (!Number.isInteger(start) || start < 0 || start > matching.length) {
      throw new BedrockServiceError('ValidationException', 'The nextToken is not valid');
    }
    const end = start + (query.maxResults ?? 1000);
    return {
      invocationJobSummaries: matching.slice(start, end).map(describe),
      ...(end < matching.length ? { nextToken: String(end) } : {}),
    };
  }

  /** Stops every timer and running job (records in flight are abandoned); for shutdown and tests. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) {
      clearTimeout(job.timer);
      job.abort.abort();
    }
    await Promise.allSettled([...this.running]);
  }

  private find(identifier: string): Job {
    const id = identifier.slice(identifier.lastIndexOf('/') + 1);
    const job = this.jobs.get(id);
    if (!job || (identifier.includes(':') && identifier !== job.arn)) {
      throw new BedrockServiceError('ResourceNotFoundException', `The job ${identifier} does not exist`);
    }
    return job;
  }

  private track(work: Promise<void>): void {
    const done = work
      .catch((err: unknown) => this.deps.logger.error({ err }, 'job runner failed'))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  private transition(job: Job, status: JobStatus, message?: string): void {
    job.status = status;
    job.lastModifiedTime = new Date();
    if (message !== undefined) job.message = message;
    if (TERMINAL.has(status)) job.endTime = job.lastModifiedTime;
    this.deps.logger.info({ jobArn: job.arn, status, message, counts: job.counts }, 'job status');
  }

  private async validate(job: Job): Promise<void> {
    await Promise.resolve();
    if (job.status !== 'Submitted') return;
    this.transition(job, 'Validating');
    let files: InputFile[];
    try {
      files = await readInput(
        this.deps.s3,
        job.request.inputDataConfig.s3InputDataConfig.s3Uri,
        job.abort.signal,
      );
    } catch (err) {
      if (job.abort.signal.aborted) return;
      this.transition(job, 'Failed', err instanceof InputValidationError ? err.message : messageOf(err));
      return;
    }
    if (job.abort.signal.aborted) return;
    const total = files.reduce((n, f) => n + f.records.length, 0);
    const problem =
      total < this.deps.minRecords
        ? `The job has ${total} records; the minimum per batch inference job is ${this.deps.minRecords}`
        : total > MAX_RECORDS_PER_JOB
          ? `The job has ${total} records; the maximum per batch inference job is ${MAX_RECORDS_PER_JOB}`
          : undefined;
    if (problem) {
      this.transition(job, 'Failed', problem);
      return;
    }
    job.counts = { total, processed: 0, success: 0, error: 0 };
    this.transition(job, 'Scheduled');
    job.timer = setTimeout(() => {
      job.timer = undefined;
      if (job.fault.outcome === 'Expired') {
        this.transition(job, 'Expired', 'The job was not started before its timeout');
      } else {
        this.track(this.run(job, files));
      }
    }, job.fault.delayMs ?? this.deps.delayMs);
  }

  private async run(job: Job, files: InputFile[]): Promise<void> {
    if (job.abort.signal.aborted) return;
    this.transition(job, 'InProgress');
    const { fault } = job;
    if (fault.outcome === 'Failed') {
      this.transition(job, 'Failed', fault.message ?? 'The job failed (injected fault)');
      return;
    }
    const records = files.flatMap((f) => f.records);
    const counts = job.counts!;
    const answerable =
      fault.outcome === 'PartiallyCompleted'
        ? Math.min(records.length, fault.answered ?? Math.floor(records.length / 2))
        : records.length;
    const lines = new Map<string, OutputLine[]>(files.map((f) => [f.key, []]));
    const tokens = { input: 0, output: 0 };
    const model = this.deps.modelFor(job.request.modelId);

    const answerOne = async (record: InputRecord, index: number) => {
      const answer =
        index < (fault.errorRecords ?? 0)
          ? {
              error: { errorCode: fault.errorCode, errorMessage: fault.message ?? 'Injected record failure' },
            }
          : await answerRecord(this.deps.provider, record.modelInput, model, job.abort.signal);
      // A record whose call was cut short by a stop gets no line, as if it had not started.
      if (job.abort.signal.aborted && !('modelOutput' in answer)) return;
      const base = { recordId: record.recordId, modelInput: record.modelInput };
      if ('modelOutput' in answer) {
        lines.get(record.file)!.push({ ...base, modelOutput: answer.modelOutput });
        counts.success += 1;
        tokens.input += answer.inputTokens;
        tokens.output += answer.outputTokens;
      } else {
        lines.get(record.file)!.push({ ...base, error: answer.error });
        counts.error += 1;
      }
      counts.processed += 1;
    };

    let next = 0;
    const worker = async () => {
      while (next < answerable && !job.abort.signal.aborted) {
        const index = next++;
        await answerOne(records[index]!, index);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.deps.concurrency) }, worker));
    if (job.abort.signal.aborted && job.status !== 'Stopping') return; // closed

    const manifest: BatchManifest = {
      totalRecordCount: counts.total,
      processedRecordCount: counts.processed,
      successRecordCount: counts.success,
      errorRecordCount: counts.error,
      inputTokenCount: tokens.input,
      outputTokenCount: tokens.output,
    };
    try {
      await writeOutput(
        this.deps.s3,
        job.request.outputDataConfig.s3OutputDataConfig.s3Uri,
        job.id,
        files.map((f) => ({ outputName: f.outputName, lines: lines.get(f.key)! })),
        manifest,
      );
    } catch (err) {
      this.transition(job, 'Failed', `Cannot write the output: ${messageOf(err)}`);
      return;
    }
    if (job.status === 'Stopping') this.transition(job, 'Stopped');
    else if (answerable < records.length) {
      this.transition(
        job,
        'PartiallyCompleted',
        'Not all records could be processed before the job timed out',
      );
    } else this.transition(job, 'Completed');
  }
}

/** Bedrock's job ids: 12 lower-case letters and digits. */
function jobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

function describe(job: Job): JobDescription {
  const { request } = job;
  const hours = request.timeoutDurationInHours ?? DEFAULT_TIMEOUT_HOURS;
  return {
    jobArn: job.arn,
    jobName: request.jobName,
    modelId: request.modelId,
    clientRequestToken: request.clientRequestToken,
    roleArn: request.roleArn,
    status: job.status,
    ...(job.message === undefined ? {} : { message: job.message }),
    submitTime: job.submitTime.toISOString(),
    lastModifiedTime: job.lastModifiedTime.toISOString(),
    ...(job.endTime ? { endTime: job.endTime.toISOString() } : {}),
    inputDataConfig: request.inputDataConfig,
    outputDataConfig: request.outputDataConfig,
    ...(request.vpcConfig ? { vpcConfig: request.vpcConfig } : {}),
    timeoutDurationInHours: hours,
    jobExpirationTime: new Date(job.submitTime.getTime() + hours * 3_600_000).toISOString(),
    modelInvocationType: request.modelInvocationType ?? 'InvokeModel',
    ...(job.counts
      ? {
          totalRecordCount: job.counts.total,
          processedRecordCount: job.counts.processed,
          successRecordCount: job.counts.success,
          errorRecordCount: job.counts.error,
        }
      : {}),
  };
}
