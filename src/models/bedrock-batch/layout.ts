/**
 * Where a batch campaign's files live in S3. Under `<inputS3Uri>/<campaignId>/`: each waiting turn's request
 * (`requests/<conversationId>/turn-<n>.json`, written by its conversation) and each job's input
 * (`jobs/<jobName>.jsonl`). Under `<outputS3Uri>/<campaignId>/`: Bedrock's job folders (`jobs/<jobId>/…`) and each
 * answered turn's answer (`answers/<conversationId>/turn-<n>.json`), which its conversation reads back.
 */
import type { CloudBatch } from '../../contracts/batch-spec';
import { formatS3Uri, joinKey, parseS3Uri, type S3Location } from '../../shared/s3-uri';

export interface BatchLayout {
  /** `<inputS3Uri>/<campaignId>` */
  input: S3Location;
  /** `<outputS3Uri>/<campaignId>` */
  output: S3Location;
}

/** One conversation's turn waiting for (or answered by) a batch. */
export interface TurnRef {
  conversationId: string;
  turn: number;
}

export function batchLayout(cloudBatch: Pick<CloudBatch, 'inputS3Uri' | 'outputS3Uri'>, campaignId: string) {
  const under = (uri: string): S3Location => {
    const { bucket, key } = parseS3Uri(uri);
    return { bucket, key: joinKey(key, campaignId) };
  };
  return { input: under(cloudBatch.inputS3Uri), output: under(cloudBatch.outputS3Uri) } satisfies BatchLayout;
}

export function requestLocation(layout: BatchLayout, { conversationId, turn }: TurnRef): S3Location {
  return {
    bucket: layout.input.bucket,
    key: joinKey(layout.input.key, 'requests', conversationId, `turn-${turn}.json`),
  };
}

export function answerLocation(layout: BatchLayout, { conversationId, turn }: TurnRef): S3Location {
  return {
    bucket: layout.output.bucket,
    key: joinKey(layout.output.key, 'answers', conversationId, `turn-${turn}.json`),
  };
}

export function jobInputLocation(layout: BatchLayout, jobName: string): S3Location {
  return { bucket: layout.input.bucket, key: joinKey(layout.input.key, 'jobs', `${jobName}.jsonl`) };
}

/** The job's outputDataConfig URI; Bedrock writes under `<it>/<jobId>/`. */
export function jobOutputUri(layout: BatchLayout): string {
  return formatS3Uri({ bucket: layout.output.bucket, key: joinKey(layout.output.key, 'jobs') });
}

/** The folder Bedrock writes a job's `.jsonl.out` files and `manifest.json.out` into. */
export function jobOutputFolder(layout: BatchLayout, jobArn: string): S3Location {
  const jobId = jobArn.slice(jobArn.lastIndexOf('/') + 1);
  return { bucket: layout.output.bucket, key: joinKey(layout.output.key, 'jobs', jobId, '/') };
}
