/**
 * Malformed bodies against the running REST service and the running local gateway (real handler behind it):
 * each gets a 4xx with an error that says what is wrong, nothing reaches the model, and a good request still
 * works afterwards.
 */
import { llm } from '../../src/generated/llm';
import { ScriptedProvider, startCloudStack } from '../fixtures/cloud-stack';
import type { CloudStack } from '../fixtures/cloud-stack';

type Body = string | Uint8Array | undefined;
interface Case {
  body: Body;
  contentType?: string | null;
  headers?: Record<string, string>;
  status: number;
  /** What the error message must mention. */
  says: RegExp;
}

const JSON_TYPE = 'application/json';
const PROTOBUF = 'application/x-protobuf';
const json = (value: unknown) => JSON.stringify(value);
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const user = (content: string) => ({ role: 'user', content });

const serviceCases: Record<string, Case> = {
  'truncated JSON': { body: '{"inputText": ', status: 400, says: /not a valid JSON object/ },
  'not JSON at all': { body: 'inputText=hi', status: 400, says: /not a valid JSON object/ },
  'a JSON string': { body: '"hi"', status: 400, says: /not a valid JSON object/ },
  'JSON null': { body: 'null', status: 400, says: /not a valid JSON object/ },
  'a JSON number': { body: '42', status: 400, says: /not a valid JSON object/ },
  'a JSON array': { body: '[{"inputText":"hi"}]', status: 400, says: /\(root\): .*expected object/ },
  'deeply nested arrays': {
    body: '['.repeat(5_000) + ']'.repeat(5_000),
    status: 400,
    says: /expected object/,
  },
  'an empty object': { body: '{}', status: 400, says: /inputText: required \(or send messages\)/ },
  'an empty body': { body: '', status: 400, says: /body is required/ },
  'inputText as a number': {
    body: json({ inputText: 42 }),
    status: 400,
    says: /inputText: must be a string/,
  },
  'inputText as null': { body: json({ inputText: null }), status: 400, says: /inputText: must be a string/ },
  'inputText as an array': {
    body: json({ inputText: ['hi'] }),
    status: 400,
    says: /inputText: must be a string/,
  },
  'inputText as an object': { body: json({ inputText: { a: 1 } }), status: 400, says: /inputText/ },
  'an empty inputText': { body: json({ inputText: '' }), status: 400, says: /inputText: must not be blank/ },
  'a blank inputText': {
    body: json({ inputText: ' \n\t ' }),
    status: 400,
    says: /inputText: must not be blank/,
  },
  'a huge inputText': {
    body: json({ inputText: 'x'.repeat(32_001) }),
    status: 400,
    says: /inputText: .*32000/,
  },
  'a huge system prompt': {
    body: json({ inputText: 'hi', system: 'x'.repeat(32_001) }),
    status: 400,
    says: /system: .*32000/,
  },
  'temperature as a string': {
    body: json({ inputText: 'hi', temperature: 'hot' }),
    status: 400,
    says: /temperature: .*expected number/,
  },
  'temperature null': {
    body: json({ inputText: 'hi', temperature: null }),
    status: 400,
    says: /temperature/,
  },
  'a negative temperature': {
    body: json({ inputText: 'hi', temperature: -0.1 }),
    status: 400,
    says: /temperature: .*>=0/,
  },
  "temperature above Converse's 1": {
    body: json({ inputText: 'hi', temperature: 1.5 }),
    status: 400,
    says: /temperature: .*<=1/,
  },
  'maxTokens 0': { body: json({ inputText: 'hi', maxTokens: 0 }), status: 400, says: /maxTokens: .*>=1/ },
  'a fractional maxTokens': {
    body: json({ inputText: 'hi', maxTokens: 1.5 }),
    status: 400,
    says: /maxTokens: .*int/,
  },
  'maxTokens beyond a double': {
    body: '{"inputText":"hi","maxTokens":1e400}',
    status: 400,
    says: /maxTokens/,
  },
  'maxTokens above the limit': {
    body: json({ inputText: 'hi', maxTokens: 99_999_999 }),
    status: 400,
    says: /maxTokens: .*8192/,
  },
  'topP 0': { body: json({ inputText: 'hi', topP: 0 }), status: 400, says: /topP: .*>0/ },
  'topP above 1': { body: json({ inputText: 'hi', topP: 1.5 }), status: 400, says: /topP: .*<=1/ },
  'an empty model': { body: json({ inputText: 'hi', model: '' }), status: 400, says: /model: / },
  'empty messages': { body: json({ messages: [] }), status: 400, says: /messages: .*>=1/ },
  'messages as a string': { body: json({ messages: 'hi' }), status: 400, says: /messages: .*expected array/ },
  'a system role': {
    body: json({ messages: [{ role: 'system', content: 'x' }] }),
    status: 400,
    says: /messages\.0\.role/,
  },
  'a message without content': {
    body: json({ messages: [{ role: 'user' }] }),
    status: 400,
    says: /messages\.0\.content/,
  },
  'a message without role': {
    body: json({ messages: [{ content: 'hi' }] }),
    status: 400,
    says: /messages\.0\.role/,
  },
  'numeric content': {
    body: json({ messages: [{ role: 'user', content: 42 }] }),
    status: 400,
    says: /messages\.0\.content/,
  },
  'too many messages': {
    body: json({ messages: Array.from({ length: 201 }, () => user('hi')) }),
    status: 400,
    says: /messages: .*200/,
  },
  'both inputText and messages': {
    body: json({ inputText: 'a', messages: [user('b')] }),
    status: 400,
    says: /either inputText or messages/,
  },
  'a __proto__ key': {
    body: '{"__proto__":{"admin":true},"inputText":"hi"}',
    status: 400,
    says: /Unrecognized key: "__proto__"/,
  },
  'a constructor key': {
    body: '{"constructor":{"prototype":{"admin":true}},"inputText":"hi"}',
    status: 400,
    says: /Unrecognized key: "constructor"/,
  },
  'a __proto__ key inside a message': {
    body: '{"messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}',
    status: 400,
    says: /messages\.0: Unrecognized key: "__proto__"/,
  },
  'a snake_case option': {
    body: json({ inputText: 'hi', max_tokens: 10 }),
    status: 400,
    says: /Unrecognized key: "max_tokens"/,
  },
  'invalid UTF-8': {
    body: bytes('{"inputText":"', [0xc3, 0x28], '"}'),
    status: 400,
    says: /not valid UTF-8/,
  },
  'a truncated UTF-8 sequence': {
    body: bytes('{"inputText":"', [0xe2, 0x82], '"}'),
    status: 400,
    says: /not valid UTF-8/,
  },
  'UTF-16 declared': {
    body: json({ inputText: 'hi' }),
    contentType: 'application/json; charset=utf-16',
    status: 415,
    says: /UTF-8/,
  },
  'text/plain': {
    body: json({ inputText: 'hi' }),
    contentType: 'text/plain',
    status: 415,
    says: /application\/json/,
  },
  'a form': {
    body: 'inputText=hi',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    says: /application\/json/,
  },
  'protobuf sent to the JSON API': {
    body: llm.v1.GenerateRequest.encode({ messages: [{ role: 1, content: 'hi' }] }).finish(),
    contentType: PROTOBUF,
    status: 415,
    says: /application\/json/,
  },
  'no content type': {
    body: bytes(json({ inputText: 'hi' })),
    contentType: null,
    status: 415,
    says: /application\/json/,
  },
  'a body over the limit': {
    body: json({ inputText: 'x'.repeat(70 * 1024) }),
    status: 413,
    says: /larger than the limit/,
  },
  'an unknown content encoding': {
    body: json({ inputText: 'hi' }),
    headers: { 'Content-Encoding': 'br2' },
    status: 415,
    says: /encoding/,
  },
  'gzip that is not gzip': {
    body: json({ inputText: 'hi' }),
    headers: { 'Content-Encoding': 'gzip' },
    status: 400,
    says: /.+/,
  },
};

const encode = (request: llm.v1.GenerateRequest.$Properties) =>
  llm.v1.GenerateRequest.encode(request).finish();
const valid = encode({ requestId: 'ok-1', messages: [{ role: 1, content: 'a perfectly good question' }] });
const withContent = (content: Uint8Array) =>
  // field 2 (messages) → { field 1 role = USER, field 2 content = <raw bytes> }
  bytes([0x12, content.length + 4, 0x08, 0x01, 0x12, content.length], [...content]);

const gatewayCases: Record<string, Case> = {
  'an empty body': { body: '', status: 400, says: /body is empty/ },
  'four 0xff bytes': { body: bytes([0xff, 0xff, 0xff, 0xff]), status: 400, says: /not a valid protobuf/ },
  'zero bytes': { body: Buffer.alloc(16), status: 400, says: /not a valid protobuf|at least one message/ },
  'a truncated request (8 bytes)': { body: valid.subarray(0, 8), status: 400, says: /not a valid protobuf/ },
  'a request missing its last byte': {
    body: valid.subarray(0, valid.length - 1),
    status: 400,
    says: /not a valid protobuf/,
  },
  'a length prefix past the end': {
    body: bytes([0x12, 0xff, 0xff, 0xff, 0xff, 0x07]),
    status: 400,
    says: /not a valid protobuf/,
  },
  'a varint that never ends': {
    body: bytes([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    status: 400,
    says: /not a valid protobuf/,
  },
  'a GenerateResponse instead': {
    body: llm.v1.GenerateResponse.encode({ requestId: 'x', text: 'an answer', model: 'm' }).finish(),
    status: 400,
    says: /not a valid protobuf|message|role/,
  },
  'an ErrorResponse instead': {
    body: llm.v1.ErrorResponse.encode({ code: 'X', message: 'y', retryable: true }).finish(),
    status: 400,
    says: /not a valid protobuf|message|role/,
  },
  'only unknown fields': {
    body: bytes([0x78, 0x01, 0x80, 0x01, 0x02]),
    status: 400,
    says: /at least one message/,
  },
  'no messages': {
    body: encode({ requestId: 'x', system: 'Be brief' }),
    status: 400,
    says: /messages: at least one/,
  },
  'an empty message': {
    body: encode({ messages: [{ role: 1, content: '' }] }),
    status: 400,
    says: /messages\[0\]\.content/,
  },
  'a blank message': {
    body: encode({ messages: [{ role: 1, content: '  \n ' }] }),
    status: 400,
    says: /messages\[0\]\.content/,
  },
  'an unspecified role': {
    body: encode({ messages: [{ role: 0, content: 'hi' }] }),
    status: 400,
    says: /messages\[0\]\.role/,
  },
  'an unknown role number': {
    body: encode({ messages: [{ role: 99 as llm.v1.Role, content: 'hi' }] }),
    status: 400,
    says: /messages\[0\]\.role/,
  },
  'temperature 1.5': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], temperature: 1.5 }),
    status: 400,
    says: /temperature/,
  },
  'a negative temperature': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], temperature: -1 }),
    status: 400,
    says: /temperature/,
  },
  'temperature NaN': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], temperature: NaN }),
    status: 400,
    says: /temperature/,
  },
  'top_p 0': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], topP: 0 }),
    status: 400,
    says: /top_p/,
  },
  'top_p 1.5': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], topP: 1.5 }),
    status: 400,
    says: /top_p/,
  },
  'max_tokens above the limit': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], maxTokens: 4_000_000_000 }),
    status: 400,
    says: /max_tokens/,
  },
  'a huge message': {
    body: encode({ messages: [{ role: 1, content: 'x'.repeat(40_000) }] }),
    status: 400,
    says: /limit is 32000/,
  },
  'a huge system prompt': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], system: 's'.repeat(33_000) }),
    status: 400,
    says: /limit is 32000/,
  },
  'a huge model name': {
    body: encode({ messages: [{ role: 1, content: 'hi' }], model: 'm'.repeat(300) }),
    status: 400,
    says: /model/,
  },
  'invalid UTF-8 in a message': { body: withContent(bytes([0x68, 0xc3, 0x28])), status: 400, says: /utf-8/i },
  'a truncated UTF-8 sequence': { body: withContent(bytes([0x68, 0xe2, 0x82])), status: 400, says: /utf-8/i },
  'JSON sent as JSON': {
    body: json({ inputText: 'hi' }),
    contentType: JSON_TYPE,
    status: 415,
    says: /application\/x-protobuf/,
  },
  'JSON sent as protobuf': {
    body: json({ inputText: 'hi' }),
    status: 400,
    says: /not a valid protobuf|message/,
  },
  'text/plain': { body: 'hello', contentType: 'text/plain', status: 415, says: /application\/x-protobuf/ },
  'a form': {
    body: 'a=b',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    says: /application\/x-protobuf/,
  },
  'base64 text sent as protobuf': {
    body: Buffer.from(valid).toString('base64'),
    status: 400,
    says: /not a valid protobuf|message/,
  },
  // Without a binary media type API Gateway hands the Lambda text, which can no longer be trusted to be the bytes.
  'garbage without a content type': {
    body: bytes([0xff, 0xfe, 0xfd]),
    contentType: null,
    status: 415,
    says: /binary media type application\/x-protobuf/,
  },
  'a valid request without a content type': {
    body: valid,
    contentType: null,
    status: 415,
    says: /binary media type application\/x-protobuf/,
  },
  'a body over the Lambda payload limit': {
    body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x41),
    status: 413,
    says: /.+/,
  },
};

async function send(url: string, { body, contentType, headers = {} }: Case, fallbackType: string) {
  const type = contentType === undefined ? fallbackType : contentType;
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...(type === null ? {} : { 'Content-Type': type }), ...headers },
    body: typeof body === 'string' ? Buffer.from(body) : body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    bytes: Buffer.from(await res.arrayBuffer()),
  };
}

let stack: CloudStack;
const provider = new ScriptedProvider();

beforeAll(async () => {
  stack = await startCloudStack({ provider });
});
afterAll(() => stack.close());
beforeEach(() => {
  provider.calls.length = 0;
});

describe('POST /api/v1/generate with a malformed body', () => {
  it('has at least 30 cases', () => expect(Object.keys(serviceCases).length).toBeGreaterThanOrEqual(30));

  it.each(Object.entries(serviceCases))('%s → 4xx with a clear error', async (_name, c) => {
    const res = await send(`${stack.serviceUrl}/api/v1/generate`, c, JSON_TYPE);
    expect(res.status).toBe(c.status);
    expect(res.type).toMatch(/^application\/json/);
    const { error } = JSON.parse(res.bytes.toString('utf8')) as { error: { code: string; message: string } };
    expect(error.code).toMatch(/^[A-Z0-9_]+$/);
    expect(error.message).toMatch(c.says);
    expect(provider.calls).toHaveLength(0);

    const good = await fetch(`${stack.serviceUrl}/api/v1/generate`, {
      method: 'POST',
      headers: { 'Content-Type': JSON_TYPE },
      body: json({ inputText: 'still there?' }),
    });
    expect(good.status).toBe(200);
  });
});

describe('the gateway’s POST /generate with a malformed body', () => {
  it('has at least 30 cases', () => expect(Object.keys(gatewayCases).length).toBeGreaterThanOrEqual(30));

  it.each(Object.entries(gatewayCases))('%s → 4xx with a clear error', async (_name, c) => {
    const res = await send(`${stack.gatewayUrl}/generate`, c, PROTOBUF);
    expect(res.status).toBe(c.status);
    if (res.type.startsWith(PROTOBUF)) {
      const error = llm.v1.ErrorResponse.decode(res.bytes);
      expect(error.code).toMatch(/^[A-Z0-9_]+$/);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(c.says);
    } else {
      // The gateway's own replies (before the Lambda) are JSON.
      expect(res.type).toMatch(/^application\/json/);
      const reply = JSON.parse(res.bytes.toString('utf8')) as {
        message?: string;
        error?: { message: string };
      };
      expect(reply.message ?? reply.error?.message).toMatch(c.says);
    }
    expect(provider.calls).toHaveLength(0);

    const good = await send(
      `${stack.gatewayUrl}/generate`,
      { body: valid, status: 200, says: /.*/ },
      PROTOBUF,
    );
    expect(good.status).toBe(200);
    expect(llm.v1.GenerateResponse.decode(good.bytes).text).toBe('You said: a perfectly good question');
  });
});
