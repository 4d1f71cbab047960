import client from 'prom-client';
import { createUpstreamMetrics } from '../../src/llm-service/metrics';
import { createResilientUpstream } from '../../src/llm-service/resilient-upstream';
import type { CircuitPolicy } from '../../src/llm-service/resilient-upstream';
import { backoffDelay, withRetries } from '../../src/llm-service/retry';
import type {
  LlmUpstream,
  UpstreamCallOptions,
  UpstreamRequest,
  UpstreamResponse,
} from '../../src/llm-service/upstream-client';
import { UpstreamError, UpstreamTimeoutError } from '../../src/contracts/errors';
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
/** Plenty of time for every call. */
const inTime = (): UpstreamCallOptions => ({ deadline: Date.now() + 60_000 });
const invalid = () => new UpstreamError(400, 'INVALID_REQUEST', 'bad input', false);

describe('backoff', () => {
  const policy = { retries: 5, baseMs: 100, maxMs: 1_000, minAttemptMs: 0 };

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
        { retries: 3, baseMs: 10, maxMs: 1_000, minAttemptMs: 0 },
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
        { retries: 3, baseMs: 10, maxMs: 1_000, minAttemptMs: 0 },
        { shouldRetry: () => false, sleep },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(calls).toBe(1);
  });

  it('does not retry when the deadline, after the backoff, leaves less than minAttemptMs', async () => {
    const skipped = jest.fn();
    let calls = 0;
    let now = 1_000;
    const attempt = async () => {
      calls++;
      now += 400;
      throw unavailable();
    };
    const policy = { retries: 1, baseMs: 200, maxMs: 200, minAttemptMs: 500 };
    const hooks = {
      shouldRetry: () => true,
      sleep: async () => undefined,
      random: () => 0.5,
      now: () => now,
    };
    // Failed at 1400; the retry would start at 1500 with 500 left: enough.
    await expect(withRetries(attempt, policy, { ...hooks, deadline: 2_000 })).rejects.toBeDefined();
    expect(calls).toBe(2);
    // 1 ms less: not retried, and told why.
    calls = 0;
    now = 1_000;
    await expect(
      withRetries(attempt, policy, { ...hooks, deadline: 1_999, onDeadline: skipped }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(calls).toBe(1);
    expect(skipped).toHaveBeenCalledWith(expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }), 499);
  });
});

describe("the upstream's Retry-After", () => {
  const policy = { retries: 1, baseMs: 100, maxMs: 2_000, minAttemptMs: 0 };
  const throttled = (retryAfterMs: number) =>
    new UpstreamError(502, 'THROTTLED', 'slow down', true, { retryAfterMs });
  const hooks = {
    shouldRetry: () => true,
    retryAfterMs: (err: unknown) => (err as UpstreamError).retryAfterMs,
    random: () => 0.5,
  };

  it('is waited at least, when the backoff alone would retry sooner', async () => {
    const slept: number[] = [];
    let calls = 0;
    const attempt = async () => {
      if (++calls === 1) throw throttled(1_500);
      return 'ok';
    };
    await expect(
      withRetries(attempt, policy, { ...hooks, sleep: async (ms) => void slept.push(ms) }),
    ).resolves.toBe('ok');
    expect(slept).toEqual([1_500]);
  });

  it('longer than maxMs: not retried here, the error (with its wait) goes back to the caller', async () => {
    const longWait = jest.fn();
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw throttled(3_000);
    };
    await expect(
      withRetries(attempt, policy, { ...hooks, sleep: async () => undefined, onLongWait: longWait }),
    ).rejects.toMatchObject({ code: 'THROTTLED', retryAfterMs: 3_000 });
    expect(calls).toBe(1);
    expect(longWait).toHaveBeenCalledWith(expect.objectContaining({ code: 'THROTTLED' }), 3_000);
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

  type Step = UpstreamResponse | Error | (() => Promise<UpstreamResponse>);

  function scripted(...steps: Step[]) {
    const calls: { request: UpstreamRequest; options: UpstreamCallOptions }[] = [];
    const transport: LlmUpstream = {
      async generate(request, options) {
        calls.push({ request, options });
        const step = steps.length > 1 ? steps.shift()! : steps[0]!;
        if (step instanceof Error) throw step;
        return typeof step === 'function' ? step() : step;
      },
      isReady: async () => true,
    };
    const registry = new client.Registry();
    const upstream = createResilientUpstream(transport, {
      retry: { retries: 1, baseMs: 1, maxMs: 5, minAttemptMs: 1_000 },
      circuit,
      logger,
      metrics: createUpstreamMetrics(registry),
      sleep: noSleep,
    });
    opened.push(upstream);
    return { upstream, calls, registry };
  }

  let opened: { close(): void }[] = [];
  afterEach(() => {
    opened.forEach((u) => u.close());
    opened = [];
  });

  it('retries a retryable failure once, with the same deadline, and counts it', async () => {
    const { upstream, calls, registry } = scripted(unavailable(), ok);
    const options = inTime();
    await expect(upstream.generate(request, options)).resolves.toEqual(ok);
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.request.requestId === 'r-1' && c.options === options)).toBe(true);
    const metrics = await registry.metrics();
    expect(metrics).toContain('llm_service_upstream_retries_total{code="UPSTREAM_UNAVAILABLE"} 1');
    expect(metrics).toMatch(/llm_service_upstream_request_duration_seconds_count\{outcome="ok"\} 1/);
  });

  it('retries at most once: Temporal owns the other retries', async () => {
    const { upstream, calls } = scripted(unavailable());
    await expect(upstream.generate(request, inTime())).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    expect(calls).toHaveLength(2);
  });

  it('does not retry a refused input, nor a timeout at any layer', async () => {
    for (const err of [
      invalid(),
      new UpstreamTimeoutError('No answer within 10 ms'),
      new UpstreamError(
        504,
        'UPSTREAM_TIMEOUT',
        'API gateway answered 504: Endpoint request timed out',
        true,
      ),
      new UpstreamError(504, 'UPSTREAM_TIMEOUT', 'Bedrock: aborted', true),
    ]) {
      const { upstream, calls } = scripted(err);
      await expect(upstream.generate(request, inTime())).rejects.toBe(err);
      expect(calls).toHaveLength(1);
    }
  });

  it('skips the retry when the deadline leaves less than an attempt needs', async () => {
    const { upstream, calls, registry } = scripted(unavailable(), ok);
    await expect(upstream.generate(request, { deadline: Date.now() + 500 })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    expect(calls).toHaveLength(1);
    expect(await registry.metrics()).not.toContain('llm_service_upstream_retries_total{');
  });

  it('answers 504 DEADLINE_EXCEEDED without calling when the deadline has passed, and the breaker does not count it', async () => {
    const { upstream, calls } = scripted(ok);
    for (let i = 0; i < 10; i++) {
      await expect(upstream.generate(request, { deadline: Date.now() - 1 })).rejects.toMatchObject({
        name: 'DeadlineExceededError',
        statusCode: 504,
        code: 'DEADLINE_EXCEEDED',
        retryable: true,
      });
    }
    expect(calls).toHaveLength(0);
    expect(upstream.circuitState()).toBe('closed');
  });

  it('opens after repeated failures, answers 503 without calling, then half-opens and closes on success', async () => {
    const { upstream, calls, registry } = scripted(
      unavailable(),
      unavailable(),
      unavailable(),
      unavailable(),
      ok,
    );
    // Two calls of two attempts each; the fourth failure opens the circuit.
    for (let i = 0; i < 2; i++) {
      await expect(upstream.generate(request, inTime())).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
      });
    }
    expect(upstream.circuitState()).toBe('open');
    expect(calls).toHaveLength(4);
    for (let i = 0; i < 2; i++) {
      await expect(upstream.generate(request, inTime())).rejects.toMatchObject({
        name: 'CircuitOpenError',
        statusCode: 503,
        code: 'CIRCUIT_OPEN',
        retryable: true,
        headers: { 'Retry-After': '1' },
      });
    }
    expect(calls).toHaveLength(4);
    expect(await registry.metrics()).toContain('llm_service_upstream_circuit_state 2');

    // The breaker half-opens on its own timer after resetMs: wait for that, however late a busy machine fires it.
    await until(
      () => upstream.circuitState(),
      (state) => state === 'halfOpen',
      { what: 'the half-open circuit' },
    );
    await expect(upstream.generate(request, inTime())).resolves.toEqual(ok);
    expect(upstream.circuitState()).toBe('closed');
    const metrics = await registry.metrics();
    expect(metrics).toContain('llm_service_upstream_circuit_state 0');
    expect(metrics).toContain('llm_service_upstream_circuit_rejections_total 2');
  });

  it('lets exactly one probe through while half-open, however many calls arrive, and reopens when it fails', async () => {
    let failProbe: (err: Error) => void = () => undefined;
    const probe = () => new Promise<UpstreamResponse>((_resolve, reject) => (failProbe = reject));
    const { upstream, calls } = scripted(unavailable(), unavailable(), unavailable(), unavailable(), probe);
    for (let i = 0; i < 2; i++) await upstream.generate(request, inTime()).catch(() => undefined);
    expect(upstream.circuitState()).toBe('open');
    await new Promise((r) => setTimeout(r, circuit.resetMs + 20));

    const burst = Array.from({ length: 5 }, () => upstream.generate(request, inTime()));
    const results = burst.map((p) => p.catch((err: unknown) => err));
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(5);
    failProbe(unavailable());
    const errors = (await Promise.all(results)) as { code: string }[];
    // The probe's own retry meets the reopened circuit.
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('CIRCUIT_OPEN'));
    expect(upstream.circuitState()).toBe('open');
    expect(calls).toHaveLength(5);
  });

  it('is not opened by refused inputs', async () => {
    const { upstream, calls } = scripted(invalid());
    for (let i = 0; i < 10; i++)
      await expect(upstream.generate(request, inTime())).rejects.toMatchObject({ statusCode: 400 });
    expect(upstream.circuitState()).toBe('closed');
    expect(calls).toHaveLength(10);
  });
});
