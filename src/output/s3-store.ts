/**
 * The output store in an S3-compatible bucket (OUTPUT_URL=s3://bucket/prefix): each key is the object
 * `prefix/key`. A PUT replaces an object whole, so readers see the old content or the new; files larger than a
 * part go up in parts (lib-storage's Upload), which S3 also shows only once complete. Endpoint and credentials come
 * from the AWS SDK's standard variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID…).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable } from 'node:stream';
import type { S3Location } from '../contracts/output-url';
import { checkedKey, outputKeyProblem, type OutputStore, type StoredObject } from './store';

/** lib-storage's default part size; S3 takes parts of 5 MiB and more (the last one may be smaller). */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Parts in flight at once for one object. */
const PART_QUEUE = 4;
/** Without AWS_REGION: S3's own default. A bucket elsewhere still answers: the client follows S3's redirect. */
const DEFAULT_REGION = 'us-east-1';

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  jsonl: 'application/jsonl',
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

export interface S3ClientOptions {
  /** Path-style URLs (`endpoint/bucket/key`), as MinIO and moto need; unset: when an endpoint is configured. */
  forcePathStyle?: boolean;
}

/**
 * An S3 client from the SDK's standard variables in `env`: AWS_ENDPOINT_URL_S3 (else AWS_ENDPOINT_URL),
 * AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; without keys there, the SDK's own
 * chain (profiles, instance roles…).
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv, options: S3ClientOptions = {}): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return new S3Client({
    region: env.AWS_REGION || DEFAULT_REGION,
    followRegionRedirects: true,
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    ...(endpoint && { endpoint }),
    ...(accessKeyId &&
      secretAccessKey && {
        credentials: {
          accessKeyId,
          secretAccessKey,
          ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
        },
      }),
    // A store that stops answering fails the call (and the activity's attempt) instead of hanging it.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 120_000 }),
  });
}

export interface S3StoreOptions extends S3Location {
  client: S3Client;
  /** Bodies above this go up in parts of this size (at least MIN_PART_BYTES). */
  partBytes?: number;
}

export class S3Store implements OutputStore {
  readonly setting = 'OUTPUT_URL' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;

  constructor({ client, bucket, prefix, partBytes = DEFAULT_PART_BYTES }: S3StoreOptions) {
    if (partBytes < MIN_PART_BYTES) throw new RangeError(`partBytes must be at least ${MIN_PART_BYTES}`);
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
    this.partBytes = partBytes;
  }

  location(key?: string): string {
    const object = key === undefined ? this.prefix : this.objectKey(key);
    return object === '' ? `s3://${this.bucket}` : `s3://${this.bucket}/${object}`;
  }

  keyOf(location: string): string | undefined {
    const start = `${this.location()}/`;
    // A key as the manifest records it, or the object's s3:// URL.
    const key = location.startsWith(start) ? location.slice(start.length) : location;
    return outputKeyProblem(key) === undefined ? key : undefined;
  }

  async write(key: string, body: string | Uint8Array): Promise<string> {
    const params = {
      Bucket: this.bucket,
      Key: this.objectKey(key),
      Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      ContentType: contentType(key),
    };
    if (params.Body.byteLength <= this.partBytes) {
      await this.client.send(new PutObjectCommand(params));
    } else {
      await new Upload({
        client: this.client,
        params,
        partSize: this.partBytes,
        queueSize: PART_QUEUE,
        leavePartsOnError: false,
      }).done();
    }
    return this.location(key);
  }

  async read(key: string): Promise<Buffer | undefined> {
    const response = await this.get(key);
    return response?.Body && Buffer.from(await response.Body.transformToByteArray());
  }

  async openRead(key: string): Promise<StoredObject | undefined> {
    const response = await this.get(key);
    if (!response) return undefined;
    if (!(response.Body instanceof Readable)) throw new TypeError('the S3 client gave no Node stream');
    return {
      body: response.Body,
      ...(response.ContentLength === undefined ? {} : { size: response.ContentLength }),
    };
  }

  async exists(key: string): Promise<boolean> {
    const head = await this.client
      .send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
      .catch(undefinedWhenMissing);
    return head !== undefined;
  }

  async list(folder: string): Promise<string[]> {
    const start = `${this.objectKey(folder)}/`;
    const skip = this.prefix === '' ? 0 : this.prefix.length + 1;
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: start },
    )) {
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(skip);
        // Objects put there by other means under names no key can have are not ours to read.
        if (key !== undefined && outputKeyProblem(key) === undefined) keys.push(key);
      }
    }
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  private objectKey(key: string): string {
    checkedKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  private get(key: string) {
    return this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
      .catch(undefinedWhenMissing);
  }
}

/** GetObject's NoSuchKey and HeadObject's NotFound (a HEAD answer has no body to name the error): no object. */
function undefinedWhenMissing(err: unknown): undefined {
  if (err instanceof NoSuchKey || err instanceof NotFound) return undefined;
  throw err;
}

function contentType(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
