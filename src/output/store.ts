/**
 * Where conversations and campaigns keep what they write: whole objects under relative keys
 * (`conversation-1.csv`, `campaigns/<id>/manifest.json`), on the local disk (OUTPUT_DIR) or in an S3-compatible
 * store (OUTPUT_URL), with the same key layout in both. A key is confined to the store: a relative path whose
 * `/`-separated parts use only letters, digits and `. _ - @ +`, none empty, `.`, `..` or hidden.
 */
import type { Readable } from 'node:stream';
import { OutputPathError } from '../contracts/errors';
import { relativePathPartsProblem } from '../contracts/relative-file-name';

/** Keys stay well inside S3's 1024-byte limit with OUTPUT_URL's prefix (at most MAX_PREFIX_CHARS) before them. */
export const MAX_KEY_CHARS = 512;

export interface StoredObject {
  body: Readable;
  /** Bytes, when the store says. */
  size?: number;
}

export interface OutputStore {
  /** The setting that chose this store, for messages: `OUTPUT_DIR` or `OUTPUT_URL`. */
  readonly setting: 'OUTPUT_DIR' | 'OUTPUT_URL';
  /**
   * Writes the whole object: readers see the old content or the new, never a part. The same body written again
   * leaves the same bytes. Returns the object's location (see `location`).
   */
  write(key: string, body: string | Uint8Array): Promise<string>;
  /** The whole object, or undefined when there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /** The object as a stream (for an HTTP response), or undefined when there is none. */
  openRead(key: string): Promise<StoredObject | undefined>;
  exists(key: string): Promise<boolean>;
  /** The keys under the folder `folder` (at any depth), sorted; none when the folder does not exist. */
  list(folder: string): Promise<string[]>;
  /** Removes the object; nothing happens when there is none. */
  remove(key: string): Promise<void>;
  /**
   * Where `key` is, for messages and results: a file path under OUTPUT_DIR, or `s3://bucket/prefix/key`. Without a
   * key, the store itself.
   */
  location(key?: string): string;
  /**
   * The key of a location this store gave (`location(key)`, e.g. a path recorded in a conversation's result) or of
   * a key as a manifest records it; undefined when it is not one of this store's.
   */
  keyOf(location: string): string | undefined;
}

/** Why `key` cannot name an object in the store, or undefined when it can. */
export function outputKeyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > MAX_KEY_CHARS) return `must be 1..${MAX_KEY_CHARS} characters`;
  return relativePathPartsProblem(key);
}

/** `key`, if it may name an object; else an OutputPathError naming it and the rule it breaks. */
export function checkedKey(key: string): string {
  const problem = outputKeyProblem(key);
  if (problem) throw new OutputPathError(`output key ${JSON.stringify(key)} is refused: ${problem}`);
  return key;
}
