/**
 * Fault injection for tests and demos: what the next jobs do instead of completing normally, and which API calls
 * fail. Set at start-up (BEDROCK_BATCH_FAULTS, JSON) or at run time (`POST /_local/faults`), consumed in order.
 */
import { z } from 'zod';
import type { BedrockErrorName } from './errors';

const jobFault = z
  .object({
    /**
     * How the job ends. `PartiallyCompleted`: only `answered` records get an output line (as when the job's time
     * ran out); `Expired`: it never starts and writes nothing; `Failed`: it fails after validation with `message`.
     */
    outcome: z.enum(['PartiallyCompleted', 'Expired', 'Failed']).optional(),
    /** With PartiallyCompleted: how many records (in input order) are answered; default half of them. */
    answered: z.number().int().min(0).optional(),
    /** The first `errorRecords` records (in input order) get an `error` line instead of `modelOutput`. */
    errorRecords: z.number().int().min(0).optional(),
    /** The `errorCode` of those lines (an HTTP status, as Bedrock writes it). */
    errorCode: z.number().int().min(400).max(599).default(500),
    /** This job's wait while Scheduled instead of BEDROCK_BATCH_JOB_DELAY_MS. */
    delayMs: z.number().int().min(0).optional(),
    message: z.string().min(1).optional(),
  })
  .strict();
export type JobFault = z.infer<typeof jobFault>;

const OPERATIONS = [
  'CreateModelInvocationJob',
  'GetModelInvocationJob',
  'StopModelInvocationJob',
  'ListModelInvocationJobs',
] as const;
export type Operation = (typeof OPERATIONS)[number];

const INJECTABLE_ERRORS = [
  'ThrottlingException',
  'ServiceQuotaExceededException',
  'InternalServerException',
  'AccessDeniedException',
  'ValidationException',
] as const satisfies readonly BedrockErrorName[];

const requestFault = z
  .object({
    operation: z.enum(OPERATIONS),
    error: z.enum(INJECTABLE_ERRORS),
    /** How many calls of the operation in a row fail. */
    times: z.number().int().min(1).default(1),
  })
  .strict();
export type RequestFault = z.infer<typeof requestFault>;

export const faultsSchema = z
  .object({ jobs: z.array(jobFault).default([]), requests: z.array(requestFault).default([]) })
  .strict();
export type Faults = z.input<typeof faultsSchema>;

/** The faults still to be used: each new job takes the next job fault; each matching call uses up a request fault. */
export class FaultQueue {
  private readonly jobs: JobFault[] = [];
  private readonly requests: RequestFault[] = [];

  add(faults: Faults): void {
    const parsed = faultsSchema.parse(faults);
    this.jobs.push(...parsed.jobs);
    this.requests.push(...parsed.requests.map((f) => ({ ...f })));
  }

  clear(): void {
    this.jobs.length = 0;
    this.requests.length = 0;
  }

  nextJob(): JobFault | undefined {
    return this.jobs.shift();
  }

  /** The error this call of `operation` must fail with, if a fault says so. */
  requestError(operation: Operation): RequestFault['error'] | undefined {
    const index = this.requests.findIndex((f) => f.operation === operation);
    if (index < 0) return undefined;
    const fault = this.requests[index]!;
    fault.times -= 1;
    if (fault.times === 0) this.requests.splice(index, 1);
    return fault.error;
  }

  pending(): { jobs: number; requests: number } {
    return { jobs: this.jobs.length, requests: this.requests.length };
  }
}
