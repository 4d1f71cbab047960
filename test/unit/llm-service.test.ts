import request from 'supertest';
import { createApp } from '../../src/llm-service/app';
import type { LlmUpstream, UpstreamRequest } from '../../src/llm-service/upstream-client';
import { UpstreamError } from '../../src/contracts/errors';
import { createLogger } from '../../src/shared/logger';

const logger = createLogger('llm-service-test', 'silent');

function fakeUpstream(overrides: Partial<LlmUpstream> = {}) {
  const calls: UpstreamRequest[] = [];
  const upstream: LlmUpstream = {
    async generate(req) {
      calls.push(req);
      return {
        requestId: req.requestId,
        text: 'Machine learning is…',
        model: 'fake-model',
        stopReason: 'end_turn',
        inputTokens: 9,
        outputTokens: 4,
        latencyMs: 3,
      };
    },
    isReady: async () => true,
    ...overrides,
  };
  return { upstream, calls };
}

const failWith = (err: Error) => fakeUpstream({ generate: () => Promise.reject(err) });

describe('LLM REST service', () => {
  describe('POST /api/v1/generate', () => {
    it('accepts the original body and applies its defaults', async () => {
      const { upstream, calls } = fakeUpstream();
      const res = await request(createApp({ upstream, logger }))
        .post('/api/v1/generate')
        .set('X-Request-Id', 'client-42')
        .send({ inputText: 'Tell me about machine learning' })
        .expect(200);
      expect(res.body).toEqual({
        response: 'Machine learning is…',
        model: 'fake-model',
        stopReason: 'end_turn',
        usage: { inputTokens: 9, outputTokens: 4 },
        latencyMs: expect.any(Number),
        requestId: 'client-42',
      });
      expect(res.headers['x-request-id']).toBe('client-42');
      expect(calls).toEqual([
        {
          requestId: 'client-42',
          messages: [{ role: 'user', content: 'Tell me about machine learning' }],
          maxTokens: 150,
          temperature: 0.7,
        },
      ]);
    });

    it('accepts the chat body with every option', async () => {
      const { upstream, calls } = fakeUpstream();
      const body = {
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
          { role: 'user', content: 'What is ML?' },
        ],
        system: 'Answer in one sentence.',
        maxTokens: 64,
        temperature: 0,
        topP: 0.9,
        model: 'anthropic.claude-3-haiku-20240307-v1:0',
      };
      const res = await request(createApp({ upstream, logger }))
        .post('/api/v1/generate')
        .send(body)
        .expect(200);
      expect(res.body.requestId).toEqual(expect.any(String));
      expect(calls[0]).toEqual({ requestId: res.body.requestId, ...body });
    });

    it.each([
      [{ inputText: 'hi', maxTokens: 0 }, 'maxTokens'],
      [{ inputText: 'hi', maxTokens: 100_000 }, 'maxTokens'],
      [{ inputText: 'hi', maxTokens: 1.5 }, 'maxTokens'],
      [{ inputText: 42 }, 'inputText'],
      [{ inputText: '   ' }, 'inputText'],
      [{}, 'inputText'],
      [{ inputText: 'hi', temperature: 'hot' }, 'temperature'],
      [{ messages: [] }, 'messages'],
      [{ messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role'],
      [{ messages: [{ role: 'user', content: '' }] }, 'messages.0.content'],
      [{ messages: [{ role: 'user', content: 'hi' }], topP: 2 }, 'topP'],
    ])('rejects %j with 400 naming %s', async (body, field) => {
      const { upstream, calls } = fakeUpstream();
      const res = await request(createApp({ upstream, logger }))
        .post('/api/v1/generate')
        .send(body)
        .expect(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(res.body.error.message).toContain(`${field}:`);
      expect(calls).toHaveLength(0);
    });

    it('rejects a body with both inputText and messages', async () => {
      const res = await request(createApp({ ...fakeUpstream(), logger }))
        .post('/api/v1/generate')
        .send({ inputText: 'a', messages: [{ role: 'user', content: 'b' }] })
        .expect(400);
      expect(res.body.error.message).toMatch(/either inputText or messages/);
    });

    it('rejects invalid JSON with 400', async () => {
      const res = await request(createApp({ ...fakeUpstream(), logger }))
        .post('/api/v1/generate')
        .set('Content-Type', 'application/json')
        .send('{"inputText": ')
        .expect(400);
      expect(res.body.error.code).toBe('INVALID_JSON');
    });

    // Invalid UTF-8 is in test/integration/cloud-malformed.test.ts: supertest re-encodes raw bytes.
    it('rejects a JSON body in another charset than UTF-8 with 415', async () => {
      const res = await request(createApp({ ...fakeUpstream(), logger }))
        .post('/api/v1/generate')
        .set('Content-Type', 'application/json; charset=latin1')
        .send('{"inputText":"hi"}')
        .expect(415);
      expect(res.body.error.message).toMatch(/UTF-8/);
    });

    it('rejects a non-JSON content type with 415', async () => {
      const res = await request(createApp({ ...fakeUpstream(), logger }))
        .post('/api/v1/generate')
        .set('Content-Type', 'text/plain')
        .send('inputText=hi')
        .expect(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('rejects a body over the limit with 413', async () => {
      const { upstream, calls } = fakeUpstream();
      const res = await request(createApp({ upstream, logger, bodyLimit: '1kb' }))
        .post('/api/v1/generate')
        .send({ inputText: 'x'.repeat(2048) })
        .expect(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(calls).toHaveLength(0);
    });

    it.each([
      [
        new UpstreamError(400, 'INVALID_REQUEST', 'input is 40000 characters; the limit is 32000', false),
        400,
      ],
      [new UpstreamError(502, 'THROTTLED', 'Upstream failed (429 THROTTLED): Too many requests', true), 502],
      [
        new UpstreamError(
          502,
          'UPSTREAM_UNAVAILABLE',
          'Upstream failed (503 UPSTREAM_UNAVAILABLE): down',
          true,
        ),
        502,
      ],
      [new UpstreamError(504, 'UPSTREAM_TIMEOUT', 'No answer within 100 ms', true), 504],
    ])('answers upstream error %p with its status, message and retryability', async (err, status) => {
      const res = await request(createApp({ ...failWith(err), logger }))
        .post('/api/v1/generate')
        .send({ inputText: 'hi' })
        .expect(status);
      expect(res.body).toEqual({
        error: { code: err.code, message: err.message, details: { retryable: err.retryable } },
      });
    });

    it('answers an unexpected failure with 500 without leaking it', async () => {
      const res = await request(createApp({ ...failWith(new Error('secret stack')), logger }))
        .post('/api/v1/generate')
        .send({ inputText: 'hi' })
        .expect(500);
      expect(res.body.error.code).toBe('INTERNAL');
      expect(JSON.stringify(res.body)).not.toContain('secret');
    });
  });

  describe('bearer token (API_KEY)', () => {
    const apiKey = 'k'.repeat(32);
    const app = () => createApp({ ...fakeUpstream(), logger, apiKey });

    it('leaves /health open and guards every other route', async () => {
      await request(app()).get('/health').expect(200);
      for (const [method, path] of [
        ['get', '/ready'],
        ['get', '/metrics'],
        ['post', '/api/v1/generate'],
        ['get', '/nope'],
      ] as const) {
        const res = await request(app())[method](path).expect(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    });

    it.each([
      ['a wrong token', `Bearer ${'x'.repeat(32)}`],
      ['a prefix of the token', `Bearer ${apiKey.slice(0, 16)}`],
      ['another scheme', `Basic ${apiKey}`],
    ])('refuses %s', async (_name, authorization) => {
      const { upstream, calls } = fakeUpstream();
      await request(createApp({ upstream, logger, apiKey }))
        .post('/api/v1/generate')
        .set('Authorization', authorization)
        .send({ inputText: 'hi' })
        .expect(401);
      expect(calls).toHaveLength(0);
    });

    it('accepts the token', async () => {
      await request(app())
        .post('/api/v1/generate')
        .set('Authorization', `Bearer ${apiKey}`)
        .send({ inputText: 'hi' })
        .expect(200);
    });
  });

  describe('operational endpoints', () => {
    it('is healthy without asking the upstream', async () => {
      const isReady = jest.fn(async () => false);
      await request(createApp({ ...fakeUpstream({ isReady }), logger }))
        .get('/health')
        .expect(200, { status: 'ok' });
      expect(isReady).not.toHaveBeenCalled();
    });

    it('is ready only when the gateway answers', async () => {
      await request(createApp({ ...fakeUpstream(), logger }))
        .get('/ready')
        .expect(200, { status: 'ready' });
      const res = await request(createApp({ ...fakeUpstream({ isReady: async () => false }), logger }))
        .get('/ready')
        .expect(503);
      expect(res.body.error.code).toBe('NOT_READY');
    });

    it('exposes request and token metrics for Prometheus', async () => {
      const app = createApp({ ...fakeUpstream(), logger });
      await request(app).post('/api/v1/generate').send({ inputText: 'hi' }).expect(200);
      const res = await request(app).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(
        /llm_service_http_request_duration_seconds_count\{.*route="\/api\/v1\/generate".*status="200".*\} 1/,
      );
      expect(res.text).toContain('llm_service_tokens_total{model="fake-model",direction="output"} 4');
    });

    it('answers unknown routes with 404 in the error shape', async () => {
      const res = await request(createApp({ ...fakeUpstream(), logger }))
        .get('/nope')
        .expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });
});
