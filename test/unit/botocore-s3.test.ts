/**
 * The S3 request checker (test/helpers/botocore-s3.ts) against botocore's own `s3` model: the requests the AWS SDK
 * sends pass, and each kind of break is named — a value outside its shape, a missing required member, a parameter
 * or header no operation at that path takes, a body where none goes, an XML payload off its shape.
 */
import type { ServiceModel } from '../helpers/botocore';
import { loadServiceModel } from '../helpers/botocore';
import { s3OperationOf, s3RequestProblems, type S3RequestRecord } from '../helpers/botocore-s3';

let model: ServiceModel;
beforeAll(() => {
  model = loadServiceModel('s3');
});

/** What the SDK signs every request with (the checker leaves these to the transport). */
const SIGNED = {
  host: '127.0.0.1:4566',
  'x-amz-date': '20261205T032828Z',
  'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  authorization: 'AWS4-HMAC-SHA256 Credential=test/20261205/us-east-1/s3/aws4_request, Signature=00',
};

function request(
  method: string,
  path: string,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
  body = '',
): S3RequestRecord {
  return {
    method,
    path,
    query,
    headers: { ...SIGNED, ...headers },
    body,
    bodyBytes: Buffer.byteLength(body),
  };
}

const put = (headers: Record<string, string> = {}, query: Record<string, string> = { 'x-id': 'PutObject' }) =>
  request(
    'PUT',
    '/bucket/in/campaign/requests/c-1/turn-1.json',
    query,
    { 'content-type': 'application/json', 'content-length': '7', ...headers },
    '{"x":1}',
  );

const COMPLETE = (part: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  `${part}</CompleteMultipartUpload>`;

describe('requests the SDK sends', () => {
  it.each([
    ['CreateBucket', request('PUT', '/bucket/', {}, { 'content-type': 'application/xml' })],
    [
      'PutObject',
      put({
        'x-amz-sdk-checksum-algorithm': 'CRC32',
        'x-amz-checksum-crc32': 'O+tZXA==',
        'x-amz-meta-run': '1',
      }),
    ],
    [
      'GetObject',
      request('GET', '/bucket/a/b%20c.json', { 'x-id': 'GetObject' }, { 'x-amz-checksum-mode': 'ENABLED' }),
    ],
    ['ListObjectsV2', request('GET', '/bucket/', { 'list-type': '2', prefix: 'a/', 'max-keys': '10' })],
    [
      'CreateMultipartUpload',
      request('POST', '/bucket/big', { uploads: '' }, { 'x-amz-checksum-algorithm': 'CRC32' }),
    ],
    ['UploadPart', put({}, { partNumber: '2', uploadId: 'u-1', 'x-id': 'UploadPart' })],
    [
      'CompleteMultipartUpload',
      request(
        'POST',
        '/bucket/big',
        { uploadId: 'u-1' },
        { 'content-type': 'application/xml' },
        COMPLETE(
          '<Part><ETag>&quot;e1&quot;</ETag><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber></Part>',
        ),
      ),
    ],
  ])('%s is valid', (operation, r) => {
    expect(s3RequestProblems(model, r)).toEqual([]);
    expect(s3OperationOf(model, r)).toBe(operation);
  });
});

describe('invalid requests', () => {
  it.each<[string, S3RequestRecord, RegExp]>([
    [
      'a header value outside its enum',
      put({ 'x-amz-sdk-checksum-algorithm': 'CRC99' }),
      /CRC99 is not one of/,
    ],
    [
      'a long header that is no number',
      put({ 'content-length': 'seven' }),
      /ContentLength: expected an integer/,
    ],
    [
      'an x-amz- header the operation does not take',
      request('GET', '/bucket/key', { 'x-id': 'GetObject' }, { 'x-amz-checksum-crc32': 'O+tZXA==' }),
      /header x-amz-checksum-crc32 is not a member/,
    ],
    [
      'a query parameter the operation does not take',
      request('GET', '/bucket/', { 'list-type': '2', 'page-size': '10' }),
      /query parameter page-size is not a member/,
    ],
    [
      'a query value outside its shape',
      request('GET', '/bucket/', { 'list-type': '2', 'max-keys': 'ten' }),
      /MaxKeys: expected an integer/,
    ],
    [
      'a part without its upload id',
      put({}, { partNumber: '2', 'x-id': 'UploadPart' }),
      /UploadId: required query parameter uploadId missing|partNumber is not a member/,
    ],
    [
      'a body where the operation takes none',
      request('GET', '/bucket/key', { 'x-id': 'GetObject' }, {}, 'surprise'),
      /a body was sent to an operation that takes none/,
    ],
    [
      'an object request without a key (the bucket’s path: ListObjects)',
      request('GET', '/bucket/', { 'x-id': 'GetObject' }),
      /ListObjects: query parameter x-id is not a member/,
    ],
    [
      'a method no operation has',
      request('PATCH', '/bucket/key'),
      /no operation of s3 at PATCH \/bucket\/key/,
    ],
    [
      'an XML payload under another root element',
      request('POST', '/bucket/big', { uploadId: 'u-1' }, {}, '<Upload><Part/></Upload>'),
      /root element is Upload, not CompleteMultipartUpload/,
    ],
    [
      'an XML payload with a member of the wrong type',
      request(
        'POST',
        '/bucket/big',
        { uploadId: 'u-1' },
        {},
        COMPLETE('<Part><PartNumber>one</PartNumber></Part>'),
      ),
      /MultipartUpload\.Parts\[0\]\.PartNumber: expected an integer/,
    ],
    [
      'an XML payload with an unknown element',
      request(
        'POST',
        '/bucket/big',
        { uploadId: 'u-1' },
        {},
        COMPLETE('<Piece><PartNumber>1</PartNumber></Piece>'),
      ),
      /<Piece> is not a member/,
    ],
    [
      'a body that is no XML',
      request('POST', '/bucket/big', { uploadId: 'u-1' }, {}, COMPLETE('<Part>')),
      /the body is not XML/,
    ],
  ])('%s is refused', (_, r, problem) => {
    const problems = s3RequestProblems(model, r);
    expect(problems.join('\n')).toMatch(problem);
  });
});
