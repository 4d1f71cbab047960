import client from 'prom-client';
import { createUpstreamMetrics } from '../../src/llm-service/metrics';
import { createResilientUpstream } from '../../src/llm-service/resilient-upstream';
import type { CircuitPolicy } from '../../src/llm-service/resilient-upstream';
import { backoffDelay, withRetries } from '../../src/llm-service/retry';
import type { LlmUpstream, UpstreamRequest, UpstreamResponse } from '../../src/llm-service/upstream-client';
import { UpstreamError, UpstreamTimeoutError } from '../../src/shared/errors';
import { createLogger } from '../../src/shared/logger';
import { until } from '../helpers/wait';

const logger = createLogger('resilience-test', 'silent');
const request: UpstreamRequest = {
  requestId: 'r-1',
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 8,
};
const ok: UpstreamResponse = {
  requestId: 'r-1',
  text: 'hello',
  model: 'm',
  stopReason: 'end_turn',
  inputTokens: 1,
  outputTokens: 1,
  latencyMs: 1,
};
const unavailable = () => new UpstreamError(502, 'UPSTREAM_UNAVAILABLE', 'down', true);
const invalid = () => new UpstreamError(400, 'INVALID_REQUEST', 'bad input', false);

describe('backoff', () => {
  const policy = { retries: 5, baseMs: 100, maxMs: 1_000 };

  it('grows exponentially up to the cap, scaled by the jitter', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('retries only what shouldRetry accepts, at most `retries` times', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw unavailable();
        },
        { retries: 3, baseMs: 10, maxMs: 1_000 },
        { shouldRetry: () => true, sleep, random: () => 0.5 },
      ),
    ).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(calls).toBe(4);
    expect(slept).toEqual([5, 10, 20]);

    calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw invalid();
        },
        { retries: 3, baseMs: 10, maxMs: 1_000 },
        { shouldRetry: () => false, sleep },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(calls).toBe(1);
  });
});

describe('resilient upstream', () => {
  const circuit: CircuitPolicy = {
    errorThresholdPercent: 50,
    volumeThreshold: 4,
    windowMs: 10_000,
    resetMs: 100,
  };
  const noSleep = async () => undefined;

  function scripted(...steps: (UpstreamResponse | Error)[]) {
    const calls: UpstreamRequest[] = [];
    const transport: LlmUpstream = {
      async generate(req) {
        calls.push(req);
        const step = steps.length > 1 ? steps.shift()! : steps[0]!;
        if (step instanceof Error) throw step;
        return step;
      },
      isReady: async () => true,
    };
    const registry = new client.Registry();
    const upstream = createResilientUpstream(transport, {
      retry: { retries: 2, baseMs: 1, maxMs: 5 },
      circuit,
      logger,
      metrics: createUpstreamMetrics(registry),
      sleep: noSleep,
    });
    return { upstream, calls, registry };
  }

  let opened: { close(): void }[] = [];
  afterEach(() => {
    opened.forEach((u) => u.close());
    opened = [];
  });

  it('retries retryable failures and counts them', async () => {
    const { upstream, calls, registry } = scripted(unavailable(), unavailable(), ok);
    opened.push(upstream);
    await expect(upstream.generate(request)).resolves.toEqual(ok);
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.requestId === 'r-1')).toBe(true);
    const metrics = await registry.metrics();
    expect(metrics).toContain('llm_service_upstream_retries_total{code="UPSTREAM_UNAVAILABLE"} 2');
    expect(metrics).toMatch(/llm_service_upstream_request_duration_seconds_count\{outcome="ok"\} 1/);
  });

  it('does not retry a refused input or its own timeout', async () => {
    const refused = scripted(invalid());
    const timedOut = scripted(new UpstreamTimeoutError('No answer within 10 ms'));
    opened.push(refused.upstream, timedOut.upstream);
    await expect(refused.upstream.generate(request)).rejects.toMatchObject({ statusCode: 400 });
    await expect(timedOut.upstream.generate(request)).rejects.toMatchObject({ statusCode: 504 });
    expect(refused.calls).toHaveLength(1);
    expect(timedOut.calls).toHaveLength(1);
  });

  it('opens after repeated failures, answers 503 without calling, then half-opens and closes on success', async () => {
    const { upstream, calls, registry } = scripted(
      unavailable(),
      unavailable(),
      unavailable(),
      unavailable(),
      ok,
    );
    opened.push(upstream);
    // Three attempts (one call, two retries), then the fourth failure opens the circuit.
    await expect(upstream.generate(request)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    await expect(upstream.generate(request)).rejects.toMatchObject({
      name: 'CircuitOpenError',
      statusCode: 503,
      code: 'CIRCUIT_OPEN',
      headers: { 'Retry-After': '1' },
    });
    expect(upstream.circuitState()).toBe('open');
    expect(calls).toHaveLength(4);
    await expect(upstream.generate(request)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(calls).toHaveLength(4);
    expect(await registry.metrics()).toContain('llm_service_upstream_circuit_state 2');

    // The breaker half-opens on its own timer after resetMs: wait for that, however late a busy machine fires it.
    await until(
      () => upstream.circuitState(),
      (state) => state === 'halfOpen',
      { what: 'the half-open circuit' },
    );
    await expect(upstream.generate(request)).resolves.toEqual(ok);
    expect(upstream.circuitState()).toBe('closed');
    const metrics = await registry.metrics();
    expect(metrics).toContain('llm_service_upstream_circuit_state 0');
    expect(metrics).toContain('llm_service_upstream_circuit_rejections_total 2');
  });

  it('is not opened by refused inputs', async () => {
    const { upstream, calls } = scripted(invalid());
    opened.push(upstream);
    for (let i = 0; i < 10; i++)
      await expect(upstream.generate(request)).rejects.toMatchObject({ statusCode: 400 });
    expect(upstream.circuitState()).toBe('closed');
    expect(calls).toHaveLength(10);
  });
});
