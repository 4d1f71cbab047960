/**
 * OUTPUT_URL: `s3://bucket/prefix`, the S3-compatible store (AWS S3, MinIO, Ceph…) that holds the outputs instead of
 * OUTPUT_DIR, under the same key layout. Parsed by hand, not with `URL`, which would quietly resolve `..` and
 * percent-escapes in the prefix.
 */
import { ConfigError } from './errors';
import { relativePathPartsProblem } from './relative-file-name';

export interface S3Location {
  bucket: string;
  /** Without leading or trailing `/`; empty for the bucket's top. */
  prefix: string;
}

/** Keys (at most 512 characters) after a prefix this long stay inside S3's 1024-byte key limit. */
export const MAX_PREFIX_CHARS = 256;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Why `bucket` breaks S3's naming rules for general purpose buckets, or undefined when it does not. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET.test(bucket)) {
    return 'must be 3..63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit';
  }
  if (bucket.includes('..')) return 'must not contain two dots in a row';
  if (IPV4.test(bucket)) return 'must not be an IP address';
  if (bucket.startsWith('xn--') || bucket.startsWith('sthree-')) {
    return 'must not start with "xn--" or "sthree-" (reserved)';
  }
  if (bucket.endsWith('-s3alias') || bucket.endsWith('--ol-s3')) {
    return 'must not end with "-s3alias" or "--ol-s3" (reserved)';
  }
  return undefined;
}

function parse(value: string): S3Location | string {
  if (!value.startsWith('s3://')) return 'must be s3://bucket or s3://bucket/prefix';
  const [bucket = '', ...parts] = value.slice('s3://'.length).split('/');
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) return `bucket ${JSON.stringify(bucket)} ${bucketProblem}`;
  if (parts.at(-1) === '') parts.pop();
  const prefix = parts.join('/');
  if (prefix.length > MAX_PREFIX_CHARS) return `prefix must be at most ${MAX_PREFIX_CHARS} characters`;
  const prefixProblem = prefix === '' ? undefined : relativePathPartsProblem(prefix);
  if (prefixProblem) return `prefix ${JSON.stringify(prefix)} ${prefixProblem}`;
  return { bucket, prefix };
}

/** Why `value` cannot be OUTPUT_URL, or undefined when it can. */
export function outputUrlProblem(value: string): string | undefined {
  const parsed = parse(value);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** The bucket and prefix of an OUTPUT_URL that passed outputUrlProblem. */
export function parseOutputUrl(value: string): S3Location {
  const parsed = parse(value);
  if (typeof parsed === 'string') throw new ConfigError(`OUTPUT_URL ${parsed}`);
  return parsed;
}
