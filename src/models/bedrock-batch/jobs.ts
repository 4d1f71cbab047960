/**
 * The activity side of batch mode, on the real AWS SDK clients: stage a turn's request, submit a job of staged
 * requests (JSONL to S3, then CreateModelInvocationJob with the Converse invocation type and a content-derived
 * clientRequestToken), read its status, collect its output into one answer object per turn, stop it, and read an
 * answer back. Every step is idempotent: a retried activity writes the same objects and finds the same job.
 */
import {
  ConflictException,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ResourceNotFoundException,
  StopModelInvocationJobCommand,
  type BedrockClient,
  type ModelInvocationJobStatus,
} from '@aws-sdk/client-bedrock';
import {
  GetObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { formatS3Uri, type S3Location } from '../../shared/s3-uri';
import { batchServiceError, BatchServiceError } from './errors';
import {
  answerLocation,
  jobInputLocation,
  jobOutputFolder,
  jobOutputUri,
  requestLocation,
  type BatchLayout,
  type TurnRef,
} from './layout';
import { parseManifest, parseOutputLines, type BatchManifest, type RecordError } from './output';
import { contentToken, jobJsonl, jobNameFor, recordId, type StagedRequest } from './records';

/** S3 requests in flight at once while a job's records are read or its answers written. */
const S3_PARALLEL = 16;

export interface BatchClients {
  bedrock: BedrockClient;
  s3: S3Client;
}

export interface SubmitJobInput {
  layout: BatchLayout;
  campaignId: string;
  modelId: string;
  roleArn: string;
  timeoutHours?: number;
  /** The waiting turns, in record order; their requests are staged. */
  turns: readonly TurnRef[];
  /** Which submission of these records this is (from 0): the same records after a failed job are a new job. */
  submission: number;
}

export interface SubmittedJob {
  jobArn: string;
  jobName: string;
  clientRequestToken: string;
  records: number;
}

export interface JobState {
  status: ModelInvocationJobStatus;
  message?: string;
  /** No further change will come: Completed, PartiallyCompleted, Failed, Stopped or Expired. */
  ended: boolean;
  totalRecordCount?: number;
  processedRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
}

export interface CollectJobInput {
  layout: BatchLayout;
  jobArn: string;
  modelId: string;
  turns: readonly TurnRef[];
}

/** Each turn's result, in the job's record order; an answered turn's text is in its answer object. */
export type TurnOutcome =
  { kind: 'answered'; inputTokens: number; outputTokens: number } | RecordError | { kind: 'missing' };

export interface CollectedJob {
  outcomes: TurnOutcome[];
  manifest?: BatchManifest;
  /** Output lines that could not be read (their turns count as missing). */
  unreadable: number;
}

/** What collect writes for an answered turn and the conversation reads back. */
export interface BatchAnswer {
  text: string;
  stopReason: string;
  inputTokens: number;
  outputTokens: number;
  modelId: string;
  jobArn: string;
  recordId: string;
}

const ENDED: ReadonlySet<string> = new Set([
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopped',
  'Expired',
]);

export function createBatchJobs({ bedrock, s3 }: BatchClients) {
  async function put(location: S3Location, body: string, contentType: string, what: string) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: location.bucket,
          Key: location.key,
          Body: body,
          ContentType: contentType,
        }),
      );
    } catch (err) {
      throw batchServiceError(err, `${what} (${formatS3Uri(location)})`);
    }
  }

  async function read(location: S3Location, what: string): Promise<string> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return (await object.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if (err instanceof NoSuchKey) {
        throw new BatchServiceError(`${what}: ${formatS3Uri(location)} does not exist`, 'NoSuchKey', false, {
          cause: err,
        });
      }
      throw batchServiceError(err, `${what} (${formatS3Uri(location)})`);
    }
  }

  async function listKeys(folder: S3Location): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: folder.bucket, Prefix: folder.key },
      )) {
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      }
    } catch (err) {
      throw batchServiceError(err, `Listing ${formatS3Uri(folder)}`);
    }
    return keys.sort();
  }

  return {
    /** Leaves a turn's Converse request where the batcher's next job picks it up. */
    async stageRequest(layout: BatchLayout, turn: TurnRef, request: StagedRequest): Promise<void> {
      await put(
        requestLocation(layout, turn),
        JSON.stringify(request),
        'application/json',
        'Staging a request',
      );
    },

    async submitJob(input: SubmitJobInput): Promise<SubmittedJob> {
      const staged = await inParallel(input.turns, async (turn) => {
        const request = JSON.parse(
          await read(requestLocation(input.layout, turn), 'Reading a staged request'),
        ) as StagedRequest;
        if (request.modelId !== input.modelId) {
          throw new BatchServiceError(
            `The request of ${turn.conversationId} turn ${turn.turn} is for ${request.modelId}, not ${input.modelId}`,
            'ModelMismatch',
            false,
          );
        }
        return request.modelInput;
      });
      const jsonl = jobJsonl(staged);
      const outputS3Uri = jobOutputUri(input.layout);
      const token = contentToken({ ...input, outputS3Uri }, jsonl);
      const jobName = jobNameFor(input.campaignId, token);
      const inputLocation = jobInputLocation(input.layout, jobName);
      await put(inputLocation, jsonl, 'application/jsonl', 'Writing the job input');
      try {
        const { jobArn } = await bedrock.send(
          new CreateModelInvocationJobCommand({
            jobName,
            roleArn: input.roleArn,
            clientRequestToken: token,
            modelId: input.modelId,
            modelInvocationType: 'Converse',
            inputDataConfig: {
              s3InputDataConfig: { s3Uri: formatS3Uri(inputLocation), s3InputFormat: 'JSONL' },
            },
            outputDataConfig: { s3OutputDataConfig: { s3Uri: outputS3Uri } },
            ...(input.timeoutHours === undefined ? {} : { timeoutDurationInHours: input.timeoutHours }),
          }),
        );
        return { jobArn: jobArn!, jobName, clientRequestToken: token, records: staged.length };
      } catch (err) {
        throw batchServiceError(err, `CreateModelInvocationJob ${jobName}`);
      }
    },

    async describeJob(jobArn: string): Promise<JobState> {
      try {
        const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
        const status = job.status ?? 'Submitted';
        return {
          status,
          ended: ENDED.has(status),
          ...(job.message ? { message: job.message } : {}),
          ...(job.totalRecordCount === undefined ? {} : { totalRecordCount: job.totalRecordCount }),
          ...(job.processedRecordCount === undefined
            ? {}
            : { processedRecordCount: job.processedRecordCount }),
          ...(job.successRecordCount === undefined ? {} : { successRecordCount: job.successRecordCount }),
          ...(job.errorRecordCount === undefined ? {} : { errorRecordCount: job.errorRecordCount }),
        };
      } catch (err) {
        throw batchServiceError(err, `GetModelInvocationJob ${jobArn}`);
      }
    },

    /** Joins the job's output lines to its turns by recordId and writes each answered turn's answer object. */
    async collectJob({ layout, jobArn, modelId, turns }: CollectJobInput): Promise<CollectedJob> {
      const folder = jobOutputFolder(layout, jobArn);
      const keys = await listKeys(folder);
      const outputs = await inParallel(
        keys.filter((k) => k.endsWith('.jsonl.out')),
        (key) => read({ bucket: folder.bucket, key }, 'Reading the job output'),
      );
      const manifestKey = keys.find((k) => k.endsWith('/manifest.json.out'));
      const manifest = manifestKey
        ? parseManifest(await read({ bucket: folder.bucket, key: manifestKey }, 'Reading the job manifest'))
        : undefined;
      const { results, unreadable } = parseOutputLines(outputs, turns.length);
      const outcomes = await inParallel(turns, async (turn, index): Promise<TurnOutcome> => {
        const result = results.get(index);
        if (!result) return { kind: 'missing' };
        if (result.kind === 'error') return result;
        const answer: BatchAnswer = {
          text: result.text,
          stopReason: result.stopReason,
          inputTokens: result.inputTokens,
          outputTokens: result.outputTokens,
          modelId,
          jobArn,
          recordId: recordId(index),
        };
        await put(
          answerLocation(layout, turn),
          JSON.stringify(answer),
          'application/json',
          'Writing an answer',
        );
        return { kind: 'answered', inputTokens: result.inputTokens, outputTokens: result.outputTokens };
      });
      return { outcomes, ...(manifest ? { manifest } : {}), unreadable };
    },

    /** `stopping`: the job stops now; `ended`: it had already ended (or is unknown), nothing to stop. */
    async stopJob(jobArn: string): Promise<'stopping' | 'ended'> {
      try {
        await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
        return 'stopping';
      } catch (err) {
        if (err instanceof ConflictException || err instanceof ResourceNotFoundException) return 'ended';
        throw batchServiceError(err, `StopModelInvocationJob ${jobArn}`);
      }
    },

    async readAnswer(layout: BatchLayout, turn: TurnRef): Promise<BatchAnswer> {
      return JSON.parse(await read(answerLocation(layout, turn), 'Reading a batch answer')) as BatchAnswer;
    },
  };
}

export type BatchJobs = ReturnType<typeof createBatchJobs>;

/** `fn` over every item, at most S3_PARALLEL at once, results in the items' order. */
async function inParallel<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(S3_PARALLEL, items.length) }, worker));
  return results;
}
