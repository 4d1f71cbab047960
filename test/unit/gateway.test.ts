import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import request from 'supertest';
import { createGatewayApp } from '../../src/gateway/app';
import type { LambdaProxyHandler } from '../../src/gateway/app';
import { createLogger } from '../../src/shared/logger';

const logger = createLogger('gateway-test', 'silent');

function recording(result: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  const seen: { event: APIGatewayProxyEvent; context: Context }[] = [];
  const handler: LambdaProxyHandler = async (event, context) => {
    seen.push({ event, context });
    return result(event);
  };
  return { handler, seen };
}

const echo = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/x-protobuf' },
  isBase64Encoded: true,
  body: event.body ?? '',
});

describe('local API gateway', () => {
  it('hands the Lambda a REST proxy event with a base64 binary body and decodes its base64 answer', async () => {
    const { handler, seen } = recording(echo);
    const bytes = Buffer.from([0x0a, 0x00, 0xff, 0x80, 0x12, 0x03, 0x68, 0x69, 0x21]);
    const res = await request(createGatewayApp({ handler, logger }))
      .post('/generate?trace=1&tag=a&tag=b')
      .set('Content-Type', 'application/x-protobuf')
      .set('User-Agent', 'jest')
      .send(bytes)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);

    expect(Buffer.compare(res.body as Buffer, bytes)).toBe(0);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const { event, context } = seen[0]!;
    expect(event).toMatchObject({
      resource: '/generate',
      path: '/generate',
      httpMethod: 'POST',
      isBase64Encoded: true,
      body: bytes.toString('base64'),
      queryStringParameters: { trace: '1', tag: 'b' },
      multiValueQueryStringParameters: { trace: ['1'], tag: ['a', 'b'] },
      pathParameters: null,
      stageVariables: null,
      requestContext: {
        stage: 'local',
        path: '/local/generate',
        httpMethod: 'POST',
        protocol: 'HTTP/1.1',
        identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
      },
    });
    expect(event.requestContext.requestTime).toMatch(
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(res.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
    expect(context.awsRequestId).toBe(event.requestContext.requestId);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('passes a non-binary media type as UTF-8 text, and no body as null', async () => {
    const { handler, seen } = recording(async () => ({ statusCode: 204, body: '' }));
    const app = createGatewayApp({ handler, logger });
    await request(app).post('/generate').set('Content-Type', 'text/plain').send('héllo').expect(204);
    await request(app).post('/generate').expect(204);
    expect(seen[0]?.event).toMatchObject({ body: 'héllo', isBase64Encoded: false });
    expect(seen[1]?.event).toMatchObject({ body: null, isBase64Encoded: false });
  });

  it('answers 502 like API Gateway when the Lambda throws or returns a malformed result', async () => {
    const crashing = createGatewayApp({ handler: () => Promise.reject(new Error('boom')), logger });
    await request(crashing).post('/generate').send('x').expect(502, { message: 'Internal server error' });
    const malformed = createGatewayApp({
      handler: async () => ({ body: 'no status' }) as unknown as APIGatewayProxyResult,
      logger,
    });
    await request(malformed).post('/generate').send('x').expect(502, { message: 'Internal server error' });
  });

  it('answers 504 when the Lambda outlives the integration timeout', async () => {
    const slow = createGatewayApp({
      handler: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '' }), 500)),
      logger,
      timeoutMs: 50,
    });
    await request(slow).post('/generate').send('x').expect(504, { message: 'Endpoint request timed out' });
  });

  it('rejects bodies over the Lambda payload limit with 413', async () => {
    const { handler, seen } = recording(echo);
    await request(createGatewayApp({ handler, logger }))
      .post('/generate')
      .set('Content-Type', 'application/x-protobuf')
      .send(Buffer.alloc(6 * 1024 * 1024 + 1))
      .expect(413);
    expect(seen).toHaveLength(0);
  });

  it('has a health check and 404s other routes', async () => {
    const app = createGatewayApp({ ...recording(echo), logger });
    await request(app).get('/health').expect(200, { status: 'ok' });
    await request(app).get('/generate').expect(404);
  });
});

describe('the local Lambda log level', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const loadLevel = () => {
    jest.isolateModules(() => jest.requireActual('../../src/gateway/lambda-log-level'));
    return process.env.POWERTOOLS_LOG_LEVEL;
  };

  test('follows LOG_LEVEL when POWERTOOLS_LOG_LEVEL is not set', () => {
    delete process.env.POWERTOOLS_LOG_LEVEL;
    process.env.LOG_LEVEL = 'warn';
    expect(loadLevel()).toBe('WARN');
    delete process.env.POWERTOOLS_LOG_LEVEL;
    process.env.LOG_LEVEL = 'fatal';
    expect(loadLevel()).toBe('CRITICAL');
  });

  test('leaves an explicit POWERTOOLS_LOG_LEVEL alone', () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    process.env.LOG_LEVEL = 'warn';
    expect(loadLevel()).toBe('DEBUG');
  });
});
