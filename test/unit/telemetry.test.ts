import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createCampaignProgressMetrics, withCampaignProgress } from '../../src/campaign/progress-metrics';
import type { CampaignCounts } from '../../src/contracts/campaign';
import type { CheckpointInput } from '../../src/campaign/dataset/types';
import { itemHashOf } from '../../src/campaign/identity';
import { campaignIdOf, campaignWorkflowId } from '../../src/contracts/campaign';
import { createConversationMetrics } from '../../src/conversation/metrics';
import { parseModelPrices } from '../../src/models/prices';
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
      'src/worker/worker.ts',
      'src/api/app.ts',
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

  test("reads back the campaign of a conversation id built as the campaign's expansion builds it", () => {
    for (const campaignId of ['nightly', 'a.b_c-d-2', '0123456789abcdef']) {
      const conversationId = `${campaignWorkflowId(campaignId)}-${itemHashOf({ seed: 1, pair: 0 })}`;
      expect(campaignIdOf(conversationId)).toBe(campaignId);
    }
  });
});

describe('conversation metrics', () => {
  test('counts calls, tokens and their cost from the price table', async () => {
    const prices = parseModelPrices(
      JSON.stringify({ 'model-a': { inputPer1k: 0.5, outputPer1k: 2 } }),
      'test',
    );
    const metrics = createConversationMetrics(new Registry(), prices);
    const call = {
      side: 'cloud' as const,
      provider: 'llm-service',
      endpoint: 'cloud',
      outcome: 'ok',
      durationSeconds: 0.2,
    };
    metrics.observeModelCall({ ...call, model: 'model-a', usage: { inputTokens: 1000, outputTokens: 500 } });
    metrics.observeModelCall({ ...call, model: 'unpriced', usage: { inputTokens: 10, outputTokens: 10 } });
    metrics.observeModelCall({ ...call, model: 'model-a', outcome: 'THROTTLED' });
    metrics.observeConversation('max_turns', [1500, 2500]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('llm_model_cost_usd_total{side="cloud",endpoint="cloud",model="model-a"} 1.5');
    expect(text).not.toMatch(/llm_model_cost_usd_total\{[^}]*model="unpriced"/);
    expect(text).toContain(
      'llm_model_calls_total{side="cloud",endpoint="cloud",provider="llm-service",model="model-a",outcome="THROTTLED"} 1',
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
});

describe('campaign progress metrics', () => {
  test("each checkpoint sets every state's count of its campaign", async () => {
    const registry = new Registry();
    const checkpoints: string[] = [];
    const activities = withCampaignProgress(
      {
        async checkpointCampaign(input: CheckpointInput) {
          checkpoints.push(input.campaignId);
          return { manifestPath: 'campaigns/nightly/manifest.json', items: 10 };
        },
      },
      createCampaignProgressMetrics(registry),
    );
    const input = (counts: CampaignCounts) => ({ campaignId: 'nightly', counts }) as CheckpointInput;
    await activities.checkpointCampaign(
      input({ pending: 5, running: 2, completed: 3, failed: 0, skipped: 0 }),
    );
    let text = await registry.metrics();
    expect(text).toContain('llm_campaign_items{campaign_id="nightly",state="running"} 2');
    expect(text).toContain('llm_campaign_items{campaign_id="nightly",state="failed"} 0');
    await expect(
      activities.checkpointCampaign(input({ pending: 0, running: 0, completed: 9, failed: 1, skipped: 0 })),
    ).resolves.toEqual({ manifestPath: 'campaigns/nightly/manifest.json', items: 10 });
    text = await registry.metrics();
    expect(text).toContain('llm_campaign_items{campaign_id="nightly",state="running"} 0');
    expect(text).toContain('llm_campaign_items{campaign_id="nightly",state="completed"} 9');
    expect(checkpoints).toEqual(['nightly', 'nightly']);
  });
});
