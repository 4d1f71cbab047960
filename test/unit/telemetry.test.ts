import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createCampaignProgressMetrics } from '../../src/campaign/progress-metrics';
import { campaignIdOf } from '../../src/campaign/trace-link';
import { createConversationMetrics } from '../../src/conversation/metrics';
import { loadPriceTable } from '../../src/conversation/metrics/prices';
import { tracingActive, tracingRequested } from '../../src/shared/telemetry';
import { traceModelCall, withConversationBaggage } from '../../src/shared/telemetry/model-call';
import { repoRoot } from '../helpers/tools';

describe('tracing switch', () => {
  test('on only with an OTLP endpoint, and OTEL_SDK_DISABLED wins', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(
      tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' }),
    ).toBe(false);
  });

  test('off, the model-call helpers run their callbacks as they are', async () => {
    expect(tracingActive()).toBe(false);
    const identity = { conversationId: 'c', side: 'local' as const };
    const value = await withConversationBaggage(identity, () =>
      traceModelCall(
        { provider: 'ollama', model: 'm' },
        async () => 42,
        () => ({ model: 'm', finishReason: 'stop', inputTokens: 1, outputTokens: 1 }),
      ),
    );
    expect(value).toBe(42);
  });

  test('off, the services load no OpenTelemetry SDK, exporter, instrumentation or interceptor', () => {
    const modules = [
      'src/conversation/worker.ts',
      'src/conversation/api/app.ts',
      'src/llm-service/service.ts',
      'src/gateway/app.ts',
      'lambda/handler.ts',
      'src/cli/converse.ts',
    ];
    const script = `
      ${modules.map((m) => `require(${JSON.stringify(path.join(repoRoot, m))});`).join('\n')}
      const { startTelemetry } = require(${JSON.stringify(path.join(repoRoot, 'src/shared/telemetry'))});
      startTelemetry('probe').then((t) => {
        // prom-client requires the no-op @opentelemetry/api when it is installed (for exemplars): only that may load.
        const loaded = Object.keys(require.cache).filter(
          (f) => f.includes('opentelemetry') && !f.includes('/node_modules/@opentelemetry/api/'),
        );
        console.log(JSON.stringify({ started: t !== undefined, loaded }));
      });`;
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ started: false, loaded: [] });
  }, 60_000);
});

describe('campaignIdOf', () => {
  test.each([
    ['campaign-nightly-run-0123456789ab', 'nightly-run'],
    ['campaign-x-0123456789ab', 'x'],
    ['conversation-1b9d6bcd', undefined],
    ['campaign-nohash', undefined],
    ['campaign-x-NOTHEX', undefined],
  ])('%s → %s', (id, campaign) => {
    expect(campaignIdOf(id)).toBe(campaign);
  });
});

describe('conversation metrics', () => {
  test('counts calls, tokens and their cost from the price table', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prices-'));
    const file = path.join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'model-a': { input: 0.5, output: 2 } }));
    const metrics = createConversationMetrics(new Registry(), loadPriceTable(file));
    const call = { side: 'cloud' as const, provider: 'llm-service', outcome: 'ok', durationSeconds: 0.2 };
    metrics.observeModelCall({ ...call, model: 'model-a', usage: { inputTokens: 1000, outputTokens: 500 } });
    metrics.observeModelCall({ ...call, model: 'unpriced', usage: { inputTokens: 10, outputTokens: 10 } });
    metrics.observeModelCall({ ...call, model: 'model-a', outcome: 'THROTTLED' });
    metrics.observeConversation('max_turns', [1500, 2500]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('llm_model_cost_usd_total{side="cloud",model="model-a"} 1.5');
    expect(text).not.toContain('llm_model_cost_usd_total{side="cloud",model="unpriced"}');
    expect(text).toContain(
      'llm_model_calls_total{side="cloud",provider="llm-service",model="model-a",outcome="THROTTLED"} 1',
    );
    expect(text).toMatch(
      /gen_ai_client_token_usage_sum\{[^}]*gen_ai_response_model="model-a"[^}]*gen_ai_token_type="output"\} 500/,
    );
    expect(text).toContain('llm_conversations_total{end_reason="max_turns"} 1');
    expect(text).toContain('llm_conversation_turn_duration_seconds_sum 4');
  });

  test('without a price table there is no cost series', async () => {
    const metrics = createConversationMetrics(new Registry());
    expect(await metrics.registry.metrics()).not.toContain('llm_model_cost_usd_total');
  });

  test('a malformed price table names the variable and the field', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prices-'));
    const file = path.join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'model-a': { input: -1, output: 2 } }));
    expect(() => loadPriceTable(file)).toThrow(/MODEL_PRICES_FILE: model-a\.input/);
  });
});

describe('campaign progress metrics', () => {
  test('records every state of a campaign and forgets it', async () => {
    const registry = new Registry();
    const progress = createCampaignProgressMetrics(registry);
    progress.record('nightly', { pending: 3, running: 2, completed: 5 });
    let text = await registry.metrics();
    expect(text).toContain('llm_campaign_items{campaign_id="nightly",state="running"} 2');
    expect(text).toContain('llm_campaign_items{campaign_id="nightly",state="failed"} 0');
    progress.forget('nightly');
    text = await registry.metrics();
    expect(text).not.toContain('campaign_id="nightly"');
  });
});
