/**
 * A job's files in S3, in the layout Bedrock uses: the input is one `.jsonl` object or every `.jsonl` under a
 * prefix; each input file gets `<output prefix>/<job id>/<its path under the input prefix>.out`, and the job a
 * `manifest.json.out` beside them.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import type { BatchManifest } from '../../models/bedrock-batch/output';
import { joinKey, parseS3Uri } from '../../shared/s3-uri';

export interface InputRecord {
  recordId: string;
  modelInput: unknown;
  /** Key of the input file it came from, and its position there (from 0). */
  file: string;
  line: number;
}

export interface InputFile {
  key: string;
  /** `<path under the input prefix>.out`, the output file's name under the job's folder. */
  outputName: string;
  records: InputRecord[];
}

/** A record's line in the output file: `modelOutput` (the Converse response body) or `error`. */
export type OutputLine =
  | { recordId: string; modelInput: unknown; modelOutput: unknown }
  | { recordId: string; modelInput: unknown; error: { errorCode: number; errorMessage: string } };

/** The input does not meet the job's requirements; the job fails with this message. */
export class InputValidationError extends Error {
  override readonly name = 'InputValidationError';
}

/** What Bedrock writes when a record has no recordId: 11 letters and digits. */
function generatedRecordId(): string {
  return randomBytes(11)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .padEnd(11, '0')
    .slice(0, 11)
    .toUpperCase();
}

export async function readInput(s3: S3Client, inputUri: string, signal?: AbortSignal): Promise<InputFile[]> {
  const { bucket, key } = parseS3Uri(inputUri);
  const keys = key.endsWith('.jsonl') ? [key] : await listJsonl(s3, bucket, key, signal);
  if (keys.length === 0) throw new InputValidationError(`No .jsonl files found at ${inputUri}`);
  const prefix = key.endsWith('.jsonl') ? key.slice(0, key.lastIndexOf('/') + 1) : key;
  const files: InputFile[] = [];
  for (const fileKey of keys) {
    const text = await readObject(s3, bucket, fileKey, signal);
    files.push({
      key: fileKey,
      outputName: `${fileKey.slice(prefix.length).replace(/^\/+/, '')}.out`,
      records: parseRecords(text, fileKey),
    });
  }
  return files;
}

async function listJsonl(s3: S3Client, bucket: string, prefix: string, signal?: AbortSignal) {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      { abortSignal: signal },
    );
    for (const object of page.Contents ?? []) if (object.Key?.endsWith('.jsonl')) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function readObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return (await object.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    const denied = err instanceof S3ServiceException && err.$metadata.httpStatusCode === 403;
    if (err instanceof NoSuchKey || err instanceof NoSuchBucket || denied) {
      throw new InputValidationError(`Cannot read s3://${bucket}/${key}: ${err.name}`);
    }
    throw err;
  }
}

function parseRecords(text: string, file: string): InputRecord[] {
  const records: InputRecord[] = [];
  text.split('\n').forEach((raw, line) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new InputValidationError(`${file} line ${line + 1} is not valid JSON`);
    }
    const record = value as { recordId?: unknown; modelInput?: unknown };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputValidationError(`${file} line ${line + 1} is not a JSON object`);
    }
    if (typeof record.modelInput !== 'object' || record.modelInput === null) {
      throw new InputValidationError(`${file} line ${line + 1} has no modelInput object`);
    }
    if (record.recordId !== undefined && typeof record.recordId !== 'string') {
      throw new InputValidationError(`${file} line ${line + 1}: recordId must be a string`);
    }
    records.push({
      recordId: record.recordId ?? generatedRecordId(),
      modelInput: record.modelInput,
      file,
      line: records.length,
    });
  });
  return records;
}

/** Writes each file's lines (in the order given) and the manifest under `<output prefix>/<jobId>/`. */
export async function writeOutput(
  s3: S3Client,
  outputUri: string,
  jobId: string,
  files: { outputName: string; lines: OutputLine[] }[],
  manifest: BatchManifest,
): Promise<void> {
  const { bucket, key } = parseS3Uri(outputUri);
  const folder = joinKey(key, jobId);
  for (const file of files) {
    const body = file.lines.map((line) => JSON.stringify(line)).join('\n');
    await put(s3, bucket, joinKey(folder, file.outputName), body ? `${body}\n` : '');
  }
  await put(s3, bucket, joinKey(folder, 'manifest.json.out'), JSON.stringify(manifest));
}

async function put(s3: S3Client, bucket: string, key: string, body: string) {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/jsonl' }),
  );
}
