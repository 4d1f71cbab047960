/**
 * The output store's contract, on the local disk and on a real S3 API server (moto), through the real AWS SDK:
 * whole-object writes, identical bytes on a rewrite, streams, listing, removal, and keys confined to the store.
 * Every S3 request the store sent (multipart uploads included) is checked against botocore's `s3` model.
 */
import { HeadObjectCommand, ListObjectsV2Command, NoSuchBucket } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { OutputPathError } from '../../src/contracts/errors';
import { LocalStore } from '../../src/output/local-store';
import { openOutputStore } from '../../src/output/open-store';
import { MIN_PART_BYTES, S3Store, s3ClientFromEnv } from '../../src/output/s3-store';
import type { OutputStore } from '../../src/output/store';
import { S3Server } from '../fixtures/s3-server';
import { s3Operations, s3Problems } from '../helpers/botocore-s3';

const BUCKET = 'outputs';
let s3: S3Server;
let dir: string;

beforeAll(async () => {
  s3 = await S3Server.start();
  await s3.createBucket(BUCKET);
  dir = await mkdtemp(path.join(tmpdir(), 'output-store-'));
}, 90_000);

afterAll(async () => {
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const REFUSED_KEYS = [
  '../escape.csv',
  '/etc/passwd',
  'a//b.csv',
  'a/./b.csv',
  '.hidden.csv',
  'a\\b.csv',
  'a/',
];

let stores = 0;
/** A new empty store of each kind per test: a fresh folder, or a fresh prefix in the bucket. */
const kinds: [string, () => OutputStore][] = [
  ['local disk', () => new LocalStore(path.join(dir, `store-${++stores}`))],
  [
    'S3 (OUTPUT_URL)',
    () =>
      openOutputStore(
        { OUTPUT_DIR: '/nonexistent', OUTPUT_URL: `s3://${BUCKET}/runs/store-${++stores}` },
        s3.env,
      ),
  ],
];

describe.each(kinds)('%s', (_kind, newStore) => {
  let store: OutputStore;
  beforeEach(() => {
    store = newStore();
  });

  it('reads back what it wrote, text and bytes, and names where it is', async () => {
    const bytes = randomBytes(4096);
    const csvAt = await store.write('conversations/x.csv', 'a,b\r\n1,"é"\r\n');
    await store.write('campaigns/c-1/conversations.parquet', bytes);
    expect(csvAt).toBe(store.location('conversations/x.csv'));
    expect(csvAt.endsWith('/conversations/x.csv')).toBe(true);
    expect((await store.read('conversations/x.csv'))?.toString('utf8')).toBe('a,b\r\n1,"é"\r\n');
    expect((await store.read('campaigns/c-1/conversations.parquet'))?.equals(bytes)).toBe(true);
  });

  it('rewrites an object whole, and the same body gives the same bytes', async () => {
    await store.write('campaigns/c-1/manifest.json', '{"items":[1,2,3,4,5,6,7,8,9]}\n');
    await store.write('campaigns/c-1/manifest.json', '{"items":[]}\n');
    expect((await store.read('campaigns/c-1/manifest.json'))?.toString()).toBe('{"items":[]}\n');
    const first = await store.read('campaigns/c-1/manifest.json');
    await store.write('campaigns/c-1/manifest.json', '{"items":[]}\n');
    expect((await store.read('campaigns/c-1/manifest.json'))?.equals(first!)).toBe(true);
  });

  it('says when there is nothing at a key', async () => {
    expect(await store.read('missing.csv')).toBeUndefined();
    expect(await store.openRead('missing/x.csv')).toBeUndefined();
    expect(await store.exists('missing.csv')).toBe(false);
    await store.write('present.csv', 'x');
    expect(await store.exists('present.csv')).toBe(true);
    expect(await store.list('campaigns/none')).toEqual([]);
  });

  it('streams an object with its size', async () => {
    const body = 'timestamp,query\r\n'.repeat(1000);
    await store.write('conversations/stream.csv', body);
    const object = await store.openRead('conversations/stream.csv');
    expect(object?.size).toBe(Buffer.byteLength(body));
    expect(await text(object!.body)).toBe(body);
  });

  it('lists the keys under a folder at any depth, sorted, and nothing of a sibling with the same start', async () => {
    for (const key of [
      'campaigns/c-1/sharegpt.jsonl',
      'campaigns/c-1/perspectives/local.jsonl',
      'campaigns/c-1/conversations.jsonl',
      'campaigns/c-1/perspectives/cloud.jsonl',
      'campaigns/c-10/manifest.json',
      'c-1.csv',
    ]) {
      await store.write(key, key);
    }
    expect(await store.list('campaigns/c-1')).toEqual([
      'campaigns/c-1/conversations.jsonl',
      'campaigns/c-1/perspectives/cloud.jsonl',
      'campaigns/c-1/perspectives/local.jsonl',
      'campaigns/c-1/sharegpt.jsonl',
    ]);
    expect(await store.list('campaigns/c-1/perspectives')).toEqual([
      'campaigns/c-1/perspectives/cloud.jsonl',
      'campaigns/c-1/perspectives/local.jsonl',
    ]);
  });

  it('removes an object, and removing nothing is no error', async () => {
    await store.write('campaigns/c-1/conversations-00000-of-00002.jsonl', 'old shard');
    await store.remove('campaigns/c-1/conversations-00000-of-00002.jsonl');
    await store.remove('campaigns/c-1/conversations-00000-of-00002.jsonl');
    await store.remove('never/there.csv');
    expect(await store.exists('campaigns/c-1/conversations-00000-of-00002.jsonl')).toBe(false);
  });

  it('gives back the key of a location it gave, or of a key as a manifest records it; none of another store', () => {
    const key = 'campaigns/c-1/conversations/abc.jsonl';
    expect(store.keyOf(store.location(key))).toBe(key);
    expect(store.keyOf(key)).toBe(key);
    expect(store.keyOf(path.join(dir, 'elsewhere', key))).toBeUndefined();
    expect(store.keyOf(`s3://other-bucket/${key}`)).toBeUndefined();
  });

  it.each(REFUSED_KEYS)('refuses the key %j everywhere, before touching the store', async (key) => {
    await expect(store.write(key, 'x')).rejects.toThrow(OutputPathError);
    await expect(store.read(key)).rejects.toThrow(OutputPathError);
    await expect(store.openRead(key)).rejects.toThrow(OutputPathError);
    await expect(store.exists(key)).rejects.toThrow(OutputPathError);
    await expect(store.list(key)).rejects.toThrow(OutputPathError);
    await expect(store.remove(key)).rejects.toThrow(OutputPathError);
    expect(() => store.location(key)).toThrow(OutputPathError);
  });
});

describe('S3', () => {
  const client = () => s3ClientFromEnv(s3.env);

  it('keeps every object under its prefix', async () => {
    const store = new S3Store({ client: client(), bucket: BUCKET, prefix: 'confined/a' });
    await store.write('x/y.csv', 'y');
    await expect(store.write('../b/y.csv', 'escape')).rejects.toThrow(OutputPathError);
    const listed = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'confined/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['confined/a/x/y.csv']);
    expect(store.location('x/y.csv')).toBe(`s3://${BUCKET}/confined/a/x/y.csv`);
    expect(await new S3Store({ client: client(), bucket: BUCKET, prefix: 'confined/b' }).list('x')).toEqual(
      [],
    );
    expect(await new S3Store({ client: client(), bucket: BUCKET, prefix: 'confined' }).list('a')).toEqual([
      'a/x/y.csv',
    ]);
  });

  it('puts the bucket top under no prefix', async () => {
    const store = new S3Store({ client: client(), bucket: BUCKET, prefix: '' });
    await store.write('top-level.csv', 'top');
    expect(store.location()).toBe(`s3://${BUCKET}`);
    expect(store.location('top-level.csv')).toBe(`s3://${BUCKET}/top-level.csv`);
    expect((await store.read('top-level.csv'))?.toString()).toBe('top');
  });

  it('sends a file larger than a part in parts, and reads back the same bytes', async () => {
    const store = new S3Store({
      client: client(),
      bucket: BUCKET,
      prefix: 'large',
      partBytes: MIN_PART_BYTES,
    });
    const body = randomBytes(2 * MIN_PART_BYTES + 1234);
    await store.write('campaigns/c-1/conversations.parquet', body);
    const head = await client().send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'large/campaigns/c-1/conversations.parquet' }),
    );
    // A multipart object's ETag is the digest of its parts' digests, followed by the number of parts.
    expect(head.ETag).toMatch(/-3"$/);
    expect(head.ContentType).toBe('application/vnd.apache.parquet');
    expect((await store.read('campaigns/c-1/conversations.parquet'))?.equals(body)).toBe(true);
  }, 60_000);

  it('fails with the SDK error when the bucket does not exist', async () => {
    const store = new S3Store({ client: client(), bucket: 'no-such-bucket', prefix: '' });
    await expect(store.write('a.csv', 'a')).rejects.toThrow(NoSuchBucket);
  });
});

describe('local disk, symlinks and temp files', () => {
  it('refuses a symlinked folder on the way and a file that resolves outside OUTPUT_DIR', async () => {
    const root = path.join(dir, 'symlinks');
    const outside = path.join(dir, 'outside');
    await mkdir(root, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'secret.csv'), 'secret');
    await symlink(outside, path.join(root, 'campaigns'));
    await symlink(path.join(outside, 'secret.csv'), path.join(root, 'secret.csv'));
    const store = new LocalStore(root);
    await expect(store.write('campaigns/c-1/manifest.json', '{}')).rejects.toThrow(OutputPathError);
    await expect(store.read('secret.csv')).rejects.toThrow(OutputPathError);
    await expect(store.read('campaigns/secret.csv')).rejects.toThrow(OutputPathError);
    await expect(store.list('campaigns')).rejects.toThrow(OutputPathError);
    expect(await readdir(outside)).toEqual(['secret.csv']);
    expect(await readFile(path.join(outside, 'secret.csv'), 'utf8')).toBe('secret');
  });

  it('lists neither temp files of writes in progress nor symlinks', async () => {
    const root = path.join(dir, 'listing');
    const store = new LocalStore(root);
    await store.write('campaigns/c-1/manifest.json', '{}');
    await writeFile(path.join(root, 'campaigns', 'c-1', '.manifest.json.1234.tmp'), 'partial');
    await symlink(
      path.join(root, 'campaigns', 'c-1', 'manifest.json'),
      path.join(root, 'campaigns', 'c-1', 'link.json'),
    );
    expect(await store.list('campaigns')).toEqual(['campaigns/c-1/manifest.json']);
  });
});

test('every S3 request of the store (all tests above) was valid against botocore’s s3 model', () => {
  const requests = s3.requests();
  expect([...s3Operations(requests)].sort()).toEqual([
    'CompleteMultipartUpload',
    'CreateBucket',
    'CreateMultipartUpload',
    'DeleteObject',
    'GetObject',
    'HeadObject',
    'ListObjectsV2',
    'PutObject',
    'UploadPart',
  ]);
  expect(s3Problems(requests)).toEqual([]);
});
