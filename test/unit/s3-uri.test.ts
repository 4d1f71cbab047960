import { baseName, formatS3Uri, joinKey, parseS3Uri, S3UriError } from '../../src/shared/s3-uri';

describe('s3:// locations', () => {
  test('parse into bucket and key, and format back', () => {
    expect(parseS3Uri('s3://my-bucket/batch/in/')).toEqual({ bucket: 'my-bucket', key: 'batch/in/' });
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', key: '' });
    expect(formatS3Uri({ bucket: 'b.b', key: 'k/x.jsonl' })).toBe('s3://b.b/k/x.jsonl');
  });

  test.each([
    ['http://my-bucket/key', /not an s3:\/\/bucket\/key URI/],
    ['s3://My_Bucket/key', /bucket "My_Bucket" must be 3\.\.63 lower-case letters/],
    ['s3://10.0.0.1/key', /bucket "10\.0\.0\.1" must not be an IP address/],
    ['s3://a..b/key', /must not contain two dots in a row/],
    ['s3://xn--bucket/key', /reserved/],
  ])('refuse %s, saying which rule it breaks (the same rules as OUTPUT_URL)', (uri, message) => {
    expect(() => parseS3Uri(uri)).toThrow(S3UriError);
    expect(() => parseS3Uri(uri)).toThrow(message);
  });

  test('join key parts with single slashes, keeping a trailing folder slash', () => {
    expect(joinKey('in/', '/job-1/', 'records.jsonl')).toBe('in/job-1/records.jsonl');
    expect(joinKey('', 'out/', '')).toBe('out/');
    expect(joinKey('', '')).toBe('');
    expect(baseName('out/job-1/records.jsonl.out')).toBe('records.jsonl.out');
  });
});
