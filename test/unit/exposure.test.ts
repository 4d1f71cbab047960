/**
 * Exposure of the HTTP services (issue 11): which HTTP_HOST counts as loopback, the Conversation API's refusal
 * to start open on a reachable interface, the new configuration, and security headers on every service.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { exposureProblem } from '../../src/api/guards';
import { createGatewayApp } from '../../src/gateway/app';
import { createApp as createLlmService } from '../../src/llm-service/app';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/logger';
import { isAddressOrSubnet, isLoopbackHost } from '../../src/shared/net';
import { repoRoot } from '../helpers/tools';

const key = 'k'.repeat(16);

describe('isLoopbackHost', () => {
  test.each([
    '127.0.0.1',
    '127.0.1.1',
    '127.255.255.254',
    '::1',
    '0:0:0:0:0:0:0:1',
    '0::1',
    '::ffff:127.0.0.1',
    'localhost',
    'LOCALHOST',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  test.each([
    ['0.0.0.0', 'every IPv4 interface'],
    ['::', 'every interface'],
    ['0', 'the wildcard, abbreviated'],
    ['::0', 'the IPv6 wildcard, spelled out'],
    ['192.168.1.10', 'a LAN address'],
    ['10.0.0.1', 'a private address'],
    ['128.0.0.1', 'just past 127/8'],
    ['::ffff:10.0.0.1', 'an IPv4-mapped LAN address'],
    ['fe80::1%eth0', 'link-local'],
    ['[::1]', 'a bracketed literal (not what listen() takes)'],
    ['127.1', 'a short form that resolving would widen'],
    ['localhost.', 'a fully qualified name DNS answers'],
    ['api.localhost', 'a name DNS answers'],
    ['my-host', 'any other name'],
    ['', 'nothing'],
  ])('%s is not (%s)', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('exposureProblem (the Conversation API start-up rule)', () => {
  test.each(['127.0.0.1', '::1', 'localhost'])('HTTP_HOST=%s without a key may start', (HTTP_HOST) => {
    expect(exposureProblem({ HTTP_HOST, CONVERSATION_API_KEY: undefined })).toBeUndefined();
  });

  test.each(['0.0.0.0', '::', '192.168.1.10', 'my-host'])(
    'HTTP_HOST=%s without a key must not, and the message says why and what to set',
    (HTTP_HOST) => {
      const problem = exposureProblem({ HTTP_HOST, CONVERSATION_API_KEY: undefined });
      expect(problem).toContain(`HTTP_HOST=${HTTP_HOST} is not a loopback address`);
      expect(problem).toContain('Set CONVERSATION_API_KEY');
      expect(problem).toContain('HTTP_HOST=127.0.0.1');
    },
  );

  test('HTTP_HOST=0.0.0.0 with a key may start', () => {
    expect(exposureProblem({ HTTP_HOST: '0.0.0.0', CONVERSATION_API_KEY: key })).toBeUndefined();
  });

  test('the server entry refuses to start and says why', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join('src', 'api', 'server.ts')],
        {
          cwd: repoRoot,
          // An empty key overrides one a developer's .env may hold (dotenv never overwrites a set variable).
          env: {
            PATH: process.env.PATH,
            HTTP_HOST: '0.0.0.0',
            CONVERSATION_API_KEY: '',
            CONVERSATION_API_PORT: '1',
            LOG_LEVEL: 'info',
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: stdout + stderr });
        },
      );
    });
    expect(code).toBe(1);
    expect(output).toContain('Refusing to start: HTTP_HOST=0.0.0.0 is not a loopback address');
    expect(output).toContain('Set CONVERSATION_API_KEY');
    expect(output).not.toContain('listening');
  }, 90_000);
});

describe('configuration', () => {
  test('CONVERSATION_API_KEY is validated like API_KEY: 16+ characters, empty means unset', () => {
    expect(loadConfig({ CONVERSATION_API_KEY: key }).CONVERSATION_API_KEY).toBe(key);
    expect(loadConfig({ CONVERSATION_API_KEY: '' }).CONVERSATION_API_KEY).toBeUndefined();
    expect(() => loadConfig({ CONVERSATION_API_KEY: 'short' })).toThrow(
      /CONVERSATION_API_KEY: must be at least 16 characters/,
    );
  });

  test.each([
    ['https://llm.example.org', 'https://llm.example.org'],
    ['https://llm.example.org/', 'https://llm.example.org'],
    ['http://127.0.0.1:8081/api//', 'http://127.0.0.1:8081/api'],
    ['', undefined],
  ])('PUBLIC_BASE_URL=%s is %s', (value, expected) => {
    expect(loadConfig({ PUBLIC_BASE_URL: value }).PUBLIC_BASE_URL).toBe(expected);
  });

  test.each([
    'llm.example.org',
    'ftp://llm.example.org',
    'https://u:p@llm.example.org',
    'https://x.org/?a=1',
    'https://x.org/#top',
  ])('PUBLIC_BASE_URL=%s is refused, naming the variable', (value) => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: value })).toThrow(/PUBLIC_BASE_URL/);
  });

  test.each([
    ['', false],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, fd00::/8,192.168.1.2', ['10.0.0.0/8', 'fd00::/8', '192.168.1.2']],
  ])('CONVERSATION_API_TRUST_PROXY=%s is %j', (value, expected) => {
    expect(loadConfig({ CONVERSATION_API_TRUST_PROXY: value }).CONVERSATION_API_TRUST_PROXY).toEqual(
      expected,
    );
  });

  test.each([
    ['true', /trusting every proxy/],
    ['11', /not a proxy count/],
    ['10.0.0.0/33', /10\.0\.0\.0\/33/],
    ['proxy.example', /proxy\.example/],
  ])('CONVERSATION_API_TRUST_PROXY=%s is refused', (value, says) => {
    expect(() => loadConfig({ CONVERSATION_API_TRUST_PROXY: value })).toThrow(says);
    expect(() => loadConfig({ CONVERSATION_API_TRUST_PROXY: value })).toThrow(/CONVERSATION_API_TRUST_PROXY/);
  });

  test('isAddressOrSubnet', () => {
    expect(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0'].every(isAddressOrSubnet)).toBe(true);
    expect(['10.0.0.0/', '10.0.0.0/8/8', '::/129', 'x/8', '10.0.0.0/a'].some(isAddressOrSubnet)).toBe(false);
  });
});

describe('security headers on every HTTP service', () => {
  const logger = createLogger('exposure-test', 'silent');
  const llmService = () =>
    createLlmService({
      upstream: {
        generate: () => Promise.reject(new Error('not used')),
        isReady: async () => true,
      },
      logger,
    });
  const gateway = () =>
    createGatewayApp({
      handler: async () => ({ statusCode: 204, body: '' }),
      logger,
    });

  test.each([
    ['the LLM REST service, /health', () => request(llmService()).get('/health')],
    [
      'the LLM REST service, a 415',
      () => request(llmService()).post('/api/v1/generate').type('text/plain').send('x'),
    ],
    ['the local gateway, /health', () => request(gateway()).get('/health')],
    ['the local gateway, a Lambda answer', () => request(gateway()).post('/generate').send('x')],
    ['the local gateway, a 404', () => request(gateway()).get('/nope')],
  ])('%s: helmet headers, no X-Powered-By', async (_what, send) => {
    const res = await send();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  });
});
