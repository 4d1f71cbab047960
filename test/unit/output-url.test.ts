import { ConfigError } from '../../src/contracts/errors';
import { outputUrlProblem, parseOutputUrl } from '../../src/contracts/output-url';
import { outputKeyProblem } from '../../src/output/store';

describe('OUTPUT_URL', () => {
  it.each([
    ['s3://outputs', { bucket: 'outputs', prefix: '' }],
    ['s3://outputs/', { bucket: 'outputs', prefix: '' }],
    ['s3://my.bucket-1/runs/2025', { bucket: 'my.bucket-1', prefix: 'runs/2025' }],
    ['s3://outputs/runs/', { bucket: 'outputs', prefix: 'runs' }],
  ])('%s is bucket and prefix', (url, location) => {
    expect(outputUrlProblem(url)).toBeUndefined();
    expect(parseOutputUrl(url)).toEqual(location);
  });

  it.each([
    ['outputs/runs', /must be s3:\/\/bucket/],
    ['https://outputs.s3.amazonaws.com/runs', /must be s3:\/\/bucket/],
    ['s3://', /bucket "" must be 3\.\.63/],
    ['s3://Outputs', /lower-case/],
    ['s3://ab', /3\.\.63/],
    [`s3://${'a'.repeat(64)}`, /3\.\.63/],
    ['s3://-outputs', /starting and ending/],
    ['s3://out..puts', /two dots/],
    ['s3://192.168.0.1', /IP address/],
    ['s3://xn--outputs', /reserved/],
    ['s3://outputs-s3alias', /reserved/],
    ['s3://user@outputs/runs', /lower-case/],
    ['s3://outputs/../other', /"\.\." segments/],
    ['s3://outputs/runs/../../other', /"\.\." segments/],
    ['s3://outputs//runs', /empty or "\." path segments/],
    ['s3://outputs/./runs', /empty or "\." path segments/],
    ['s3://outputs/runs%2F..', /letters, digits/],
    ['s3://outputs/runs?versionId=1', /letters, digits/],
    ['s3://outputs/.hidden', /must not start with "\."/],
    [`s3://outputs/${'p/'.repeat(200)}`, /at most 256 characters/],
  ])('%s is refused', (url, why) => {
    expect(outputUrlProblem(url)).toMatch(why);
    expect(() => parseOutputUrl(url)).toThrow(ConfigError);
    expect(() => parseOutputUrl(url)).toThrow(/^OUTPUT_URL /);
  });
});

describe('output keys', () => {
  it.each(['a.csv', 'campaigns/c-1/manifest.json', 'campaigns/c-1/perspectives/cloud-00000-of-00002.jsonl'])(
    '%s is a key',
    (key) => expect(outputKeyProblem(key)).toBeUndefined(),
  );

  it.each([
    '',
    '../a.csv',
    '/a.csv',
    'a//b.csv',
    'a/./b.csv',
    'a/',
    '.a.csv',
    'a\\b.csv',
    'a\0b',
    'x'.repeat(513),
  ])('%j is not a key', (key) => expect(outputKeyProblem(key)).toBeDefined());
});
