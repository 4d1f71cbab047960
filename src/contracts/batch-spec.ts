/**
 * A campaign's `cloudBatch` field: its cloud side answered by Bedrock batch inference jobs (half the on-demand
 * price per token) instead of one call per turn. Pure (zod only), like the rest of the spec.
 */
import { z } from 'zod';
import { bucketNameProblem } from './output-url';

/** Bedrock's per-job minimum of records by default (a quota per model; below it a job is refused). */
export const DEFAULT_BATCH_MIN_RECORDS = 100;
/** Bedrock's largest job. */
export const MAX_BATCH_RECORDS = 50_000;
/** Bedrock's range for a job's timeoutDurationInHours. */
export const BATCH_TIMEOUT_HOURS = { min: 24, max: 168 } as const;
export const MAX_BATCH_WAIT_MINUTES = 7 * 24 * 60;
/**
 * The batcher's waits (`settleSeconds`, `pollSeconds`, `maxPollSeconds`): how long a full set of waiting requests
 * waits for late joiners, and each job's first status poll, doubling up to the longest.
 */
export const BATCH_WAITS = {
  settleSeconds: { default: 5, min: 0, max: 3_600 },
  pollSeconds: { default: 5, min: 1, max: 3_600 },
  maxPollSeconds: { default: 300, min: 1, max: 86_400 },
} as const;

/** Key segments the service's S3Uri pattern accepts. */
function isBadKeySegment(segment: string): boolean {
  return !/^[-!_*'().a-zA-Z0-9]+$/.test(segment) || segment === '.' || segment === '..';
}

/** Why `value` cannot be a batch job's S3 folder, or undefined when it can. */
export function batchS3UriProblem(value: string): string | undefined {
  if (!value.startsWith('s3://')) return 'must be s3://bucket or s3://bucket/prefix';
  const [bucket = '', ...segments] = value.slice('s3://'.length).replace(/\/$/, '').split('/');
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) return `bucket ${JSON.stringify(bucket)} ${bucketProblem}`;
  const bad = segments.find(isBadKeySegment);
  if (bad !== undefined) {
    return `prefix part ${JSON.stringify(bad)} must be letters, digits and - ! _ * ' ( ) . (Bedrock's rule for S3 URIs), not empty, . or ..`;
  }
  if (value.length > 900) return 'must be at most 900 characters (the job files are named below it)';
  return undefined;
}

/**
 * Built on each call, like the other spec schemas: the workflow sandbox freezes what a module exports, and zod
 * memoizes onto its schema objects (and resets a RegExp's lastIndex) the first time it parses.
 */
function buildCloudBatchSchema() {
  const s3Folder = z.string().superRefine((value, ctx) => {
    const problem = batchS3UriProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
  const seconds = ({ min, max }: { min: number; max: number }) => z.number().min(min).max(max).optional();
  return z
    .object({
      /** The service role Bedrock assumes to read the input and write the output (iam:PassRole is needed on it). */
      roleArn: z
        .string()
        .max(2048)
        // The service's RoleArn pattern (botocore `bedrock` model), matched whole.
        .regex(
          /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/,
          'must be an IAM role ARN: arn:aws:iam::<account>:role/<name>',
        ),
      /** Where the job input files go: `<inputS3Uri>/<campaignId>/…`. */
      inputS3Uri: s3Folder,
      /** Where Bedrock writes the job outputs: `<outputS3Uri>/<campaignId>/<jobId>/…`. */
      outputS3Uri: s3Folder,
      /** Fewer waiting requests than this go on demand (Bedrock refuses smaller jobs); default 100. */
      minRecords: z.number().int().min(1).max(MAX_BATCH_RECORDS).optional(),
      /** How long the first waiting request waits for others before a job is sent with what there is. */
      maxWaitMinutes: z.number().positive().max(MAX_BATCH_WAIT_MINUTES).optional(),
      /** The job's timeoutDurationInHours (Bedrock: 24..168, default 168); past it the job ends Expired or partial. */
      timeoutHours: z.number().int().min(BATCH_TIMEOUT_HOURS.min).max(BATCH_TIMEOUT_HOURS.max).optional(),
      /** Once every conversation waits, how long no new one may have joined before the job goes (the start-up burst). */
      settleSeconds: seconds(BATCH_WAITS.settleSeconds),
      /** A job's first status poll, then doubling up to maxPollSeconds. */
      pollSeconds: seconds(BATCH_WAITS.pollSeconds),
      maxPollSeconds: seconds(BATCH_WAITS.maxPollSeconds),
    })
    .strict()
    .superRefine((value, ctx) => {
      const first = value.pollSeconds ?? BATCH_WAITS.pollSeconds.default;
      const longest = value.maxPollSeconds ?? BATCH_WAITS.maxPollSeconds.default;
      if (longest < first) {
        ctx.addIssue({
          code: 'custom',
          path: [value.maxPollSeconds === undefined ? 'pollSeconds' : 'maxPollSeconds'],
          message: `must leave maxPollSeconds (${longest}) at least pollSeconds (${first})`,
        });
      }
    });
}

/** The batcher's waits in milliseconds, the spec's or the defaults. */
export function batchWaitsMs(cloudBatch: Pick<CloudBatch, keyof typeof BATCH_WAITS>) {
  const ms = (field: keyof typeof BATCH_WAITS) => (cloudBatch[field] ?? BATCH_WAITS[field].default) * 1000;
  return { settleMs: ms('settleSeconds'), pollMs: ms('pollSeconds'), maxPollMs: ms('maxPollSeconds') };
}

export function cloudBatchSchema(): ReturnType<typeof buildCloudBatchSchema> {
  return buildCloudBatchSchema();
}

export type CloudBatch = z.infer<ReturnType<typeof cloudBatchSchema>>;
