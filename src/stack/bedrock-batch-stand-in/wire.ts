/**
 * The request and response shapes of the Bedrock control plane's batch inference operations (service model
 * `bedrock` 2023-04-20, REST-JSON), with the constraints the service checks. A request that breaks one gets a
 * ValidationException worded the way AWS words it: `1 validation error detected: Value 'x' at 'jobName' failed to
 * satisfy constraint: Member must satisfy regular expression pattern: …`.
 */
import { z } from 'zod';
import { BedrockServiceError } from './errors';

/**
 * The model's patterns, as written there (a test compares them). Smithy patterns are not anchored; the service
 * matches the whole value, so they are anchored here.
 */
export const PATTERNS = {
  ModelInvocationJobName: '[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}',
  RoleArn: 'arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+',
  ModelInvocationIdempotencyToken: '[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}',
  ModelId:
    '(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/[a-z0-9]{12}$)|(:foundation-model/([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)$)|([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+$)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)',
  S3Uri: "s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?",
  AccountId: '[0-9]{12}',
  ModelInvocationJobIdentifier:
    '((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})',
  TagKey: '[a-zA-Z0-9\\s._:/=+@-]*',
  TagValue: '[a-zA-Z0-9\\s._:/=+@-]*',
  PaginationToken: '\\S*',
} as const;

export const JOB_STATUSES = [
  'Submitted',
  'InProgress',
  'Completed',
  'Failed',
  'Stopping',
  'Stopped',
  'PartiallyCompleted',
  'Expired',
  'Validating',
  'Scheduled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const anchored = (name: keyof typeof PATTERNS) => new RegExp(`^(?:${PATTERNS[name]})$`);

const notNull = {
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'Member must not be null' : undefined),
};

function text(min: number, max: number, pattern?: keyof typeof PATTERNS) {
  let schema = z
    .string(notNull)
    .min(min, `Member must have length greater than or equal to ${min}`)
    .max(max, `Member must have length less than or equal to ${max}`);
  if (pattern)
    schema = schema.regex(
      anchored(pattern),
      `Member must satisfy regular expression pattern: ${PATTERNS[pattern]}`,
    );
  return schema;
}

function integer(min: number, max: number) {
  return z
    .number(notNull)
    .int()
    .min(min, `Member must have value greater than or equal to ${min}`)
    .max(max, `Member must have value less than or equal to ${max}`);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? 'Member must not be null'
        : `Member must satisfy enum value set: [${values.join(', ')}]`,
  });
}

const s3Uri = text(1, 1024, 'S3Uri');

const createJobBody = z.object({
  jobName: text(1, 63, 'ModelInvocationJobName'),
  roleArn: text(0, 2048, 'RoleArn'),
  clientRequestToken: text(1, 256, 'ModelInvocationIdempotencyToken').optional(),
  modelId: text(1, 2048, 'ModelId'),
  inputDataConfig: z.object(
    {
      s3InputDataConfig: z.object({
        s3InputFormat: oneOf(['JSONL']).optional(),
        s3Uri,
        s3BucketOwner: text(0, 12, 'AccountId').optional(),
      }),
    },
    notNull,
  ),
  outputDataConfig: z.object(
    {
      s3OutputDataConfig: z.object({
        s3Uri,
        s3EncryptionKeyId: text(1, 2048).optional(),
        s3BucketOwner: text(0, 12, 'AccountId').optional(),
      }),
    },
    notNull,
  ),
  vpcConfig: z
    .object({
      subnetIds: z.array(text(0, 32)).min(1).max(16),
      securityGroupIds: z.array(text(0, 32)).min(1).max(5),
    })
    .optional(),
  timeoutDurationInHours: integer(24, 168).optional(),
  tags: z
    .array(z.object({ key: text(1, 128, 'TagKey'), value: text(0, 256, 'TagValue') }))
    .max(200)
    .optional(),
  modelInvocationType: oneOf(['InvokeModel', 'Converse']).optional(),
});
export type CreateJobBody = z.infer<typeof createJobBody>;

const jobIdentifier = text(0, 1011, 'ModelInvocationJobIdentifier');

const timestamp = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'Member must be an ISO 8601 timestamp')
  .transform((v) => new Date(v));

const listJobsQuery = z.object({
  submitTimeAfter: timestamp.optional(),
  submitTimeBefore: timestamp.optional(),
  statusEquals: oneOf(JOB_STATUSES).optional(),
  nameContains: text(1, 63, 'ModelInvocationJobName').optional(),
  maxResults: z.coerce.number().pipe(integer(1, 1000)).optional(),
  nextToken: text(1, 2048, 'PaginationToken').optional(),
  sortBy: oneOf(['CreationTime']).optional(),
  sortOrder: oneOf(['Ascending', 'Descending']).optional(),
});
export type ListJobsQuery = z.infer<typeof listJobsQuery>;

function show(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

function parse<T extends z.ZodType>(schema: T, value: unknown, root = ''): z.infer<T> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const at = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    return `Value ${show(issue.input)} at '${at}' failed to satisfy constraint: ${issue.message}`;
  });
  const count = problems.length;
  throw new BedrockServiceError(
    'ValidationException',
    `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
  );
}

export function parseCreateJob(body: unknown): CreateJobBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BedrockServiceError('SerializationException', 'The request body is not a JSON object');
  }
  return parse(createJobBody, body);
}

export function parseJobIdentifier(value: string): string {
  return parse(jobIdentifier, value, 'jobIdentifier');
}

export function parseListJobsQuery(query: Record<string, unknown>): ListJobsQuery {
  return parse(listJobsQuery, query);
}
