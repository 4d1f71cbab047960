/** `s3://bucket/key` locations: parsed once, joined without doubled or leading slashes. */
import { bucketNameProblem } from '../contracts/output-url';

export interface S3Location {
  bucket: string;
  /** The object key or key prefix, without a leading slash; '' for the bucket's root. */
  key: string;
}

export class S3UriError extends Error {
  override readonly name = 'S3UriError';
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match) throw new S3UriError(`not an s3://bucket/key URI: ${uri}`);
  const bucket = match[1]!;
  const problem = bucketNameProblem(bucket);
  if (problem) throw new S3UriError(`bucket ${JSON.stringify(bucket)} ${problem}: ${uri}`);
  return { bucket, key: match[2] ?? '' };
}

export function formatS3Uri({ bucket, key }: S3Location): string {
  return `s3://${bucket}/${key}`;
}

/** Key parts joined by single slashes; a trailing slash of the last part is kept (a "folder"). */
export function joinKey(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  const joined = kept
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return kept.at(-1)?.endsWith('/') && joined !== '' ? `${joined}/` : joined;
}

/** The last segment of a key: the object's file name. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}
