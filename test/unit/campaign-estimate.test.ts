/** The estimate before a run: calls, tokens, cost and wall time from the expanded items, nothing started. */
import { estimateCampaign, TEMPLATE_TOKENS_BOUND } from '../../src/campaign/estimate';
import type { EstimateInput } from '../../src/campaign/estimate';
import { validateCampaign } from '../../src/campaign/validate';
import type { CampaignItem } from '../../src/contracts/campaign';
import {
  DEFAULT_LOCAL_SYSTEM_PROMPT,
  DEFAULT_QUESTION_TEMPLATE,
} from '../../src/contracts/conversation-input';
import { DEFAULT_FRAMING } from '../../src/models/base-model-prompt';

async function itemsOf(spec: unknown): Promise<CampaignItem[]> {
  const result = await validateCampaign(spec, { inputDir: '/nonexistent' });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.items;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const uncapped = { maxConcurrentCalls: 0, maxCallsPerSecond: 0 };

function input(items: CampaignItem[], extra: Partial<EstimateInput> = {}): EstimateInput {
  return {
    items,
    concurrency: 4,
    novelty: false,
    prices: {},
    defaults: { cloudModel: 'cloud-m', localModel: 'local-m', cloudMaxTokens: 150, localMaxTokens: 96 },
    caps: { cloud: uncapped, local: uncapped },
    ...extra,
  };
}

describe('campaign estimate', () => {
  it('bounds a one-turn conversation by its prompts and maxTokens', async () => {
    const items = await itemsOf({
      seeds: ['Why?'],
      pairs: [{ cloud: { maxTokens: 100 }, local: { maxTokens: 20 } }],
      maxTurns: 1,
    });
    const estimate = estimateCampaign(input(items));
    expect(estimate.items).toBe(1);
    expect(estimate.modelCalls).toEqual({ max: 2, expected: 2, bySide: { cloud: 1, local: 1, judge: 0 } });
    const cloudIn = bytes(DEFAULT_FRAMING) + 2 * TEMPLATE_TOKENS_BOUND + bytes('Why?');
    const localFixed = Math.max(
      bytes(DEFAULT_LOCAL_SYSTEM_PROMPT) +
        bytes(DEFAULT_QUESTION_TEMPLATE.replace(/\{(answer|question)\}/g, '')),
      bytes(DEFAULT_FRAMING) + bytes('Question: \nAnswer: \nQuestion:'),
    );
    const localIn = localFixed + 2 * TEMPLATE_TOKENS_BOUND + bytes('Why?') + 100;
    expect(estimate.byModel).toEqual([
      expect.objectContaining({
        side: 'cloud',
        model: 'cloud-m',
        calls: 1,
        max: { input: cloudIn, output: 100, total: cloudIn + 100 },
      }),
      expect.objectContaining({
        side: 'local',
        model: 'local-m',
        calls: 1,
        max: { input: localIn, output: 20, total: localIn + 20 },
      }),
    ]);
    expect(estimate.tokens.max.total).toBe(cloudIn + 100 + localIn + 20);
  });

  it('grows the cloud prompt with the whole history, and keeps expected under the bound', async () => {
    const one = estimateCampaign(input(await itemsOf({ seeds: ['Why?'], pairs: [{}], maxTurns: 1 })));
    const six = estimateCampaign(input(await itemsOf({ seeds: ['Why?'], pairs: [{}], maxTurns: 6 })));
    const cloud = (e: typeof one) => e.byModel.find((m) => m.side === 'cloud')!;
    // Turn n sees its n − 1 earlier exchanges of up to 150 + 96 tokens: more than six times one turn’s prompt.
    expect(cloud(six).max.input).toBeGreaterThan(6 * cloud(one).max.input + (1 + 2 + 3 + 4 + 5) * 150);
    for (const e of [one, six]) {
      expect(e.tokens.expected.input).toBeLessThan(e.tokens.max.input);
      expect(e.tokens.expected.output).toBeLessThan(e.tokens.max.output);
      expect(e.modelCalls.expected).toBeLessThanOrEqual(e.modelCalls.max);
    }
    expect(six.turns).toEqual({ max: 6, expected: 6 });
  });

  it('counts every resample the novelty guard may ask for in the bound, none in the default expectation', async () => {
    const items = await itemsOf({ seeds: ['A?', 'B?'], pairs: [{}], maxTurns: 3 });
    const off = estimateCampaign(input(items));
    const on = estimateCampaign(input(items, { novelty: { maxResamples: 2 } }));
    expect(off.modelCalls.max).toBe(2 * 3 * 2);
    expect(on.modelCalls.max).toBe(2 * 3 * 2 * 3);
    expect(on.tokens.max.output).toBe(3 * off.tokens.max.output);
    expect(on.modelCalls.expected).toBe(off.modelCalls.expected);
    // With a finished campaign's resample rate, the expected calls grow by it.
    const observed = estimateCampaign(input(items, { novelty: {}, observed: { resamplesPerReply: 0.5 } }));
    expect(observed.modelCalls.expected).toBe(Math.ceil(2 * 2 * 3 * 1.5));
  });

  it('prices each model from the table and lists the unpriced ones', async () => {
    const items = await itemsOf({
      seeds: ['Why?'],
      pairs: [{ cloud: { model: 'priced' } }],
      maxTurns: 2,
      judge: { model: 'judge-m', side: 'local', rubric: 'Is it good?' },
    });
    const estimate = estimateCampaign(
      input(items, {
        judge: { model: 'judge-m', side: 'local', rubric: 'Is it good?' },
        prices: { priced: { inputPer1k: 1, outputPer1k: 2 } },
      }),
    );
    const cloud = estimate.byModel.find((m) => m.model === 'priced')!;
    expect(cloud.maxCostUsd).toBeCloseTo(cloud.max.input / 1000 + (2 * cloud.max.output) / 1000, 6);
    expect(estimate.costUsd.max).toBeCloseTo(cloud.maxCostUsd!, 6);
    expect(estimate.costUsd.unpricedModels).toEqual(['judge-m', 'local-m']);
    expect(estimate.modelCalls.bySide.judge).toBe(3);
    expect(estimate.byModel.find((m) => m.side === 'judge')!.expectedCostUsd).toBeNull();
  });

  it('gives the wall time the caps allow, and the one a measured rate gives', async () => {
    const items = await itemsOf({ seeds: ['A?', 'B?', 'C?', 'D?'], pairs: [{}], maxTurns: 5 });
    const free = estimateCampaign(input(items));
    expect(free.wallTime).toEqual({ atCapsSeconds: null, measuredSeconds: null });
    const capped = estimateCampaign(
      input(items, { caps: { cloud: { maxConcurrentCalls: 1, maxCallsPerSecond: 2 }, local: uncapped } }),
    );
    expect(capped.wallTime.atCapsSeconds).toBe(10); // 20 cloud calls at 2 a second
    const measured = estimateCampaign(
      input(items, {
        measured: { cloud: { outputTokensPerSecond: 90 }, local: { outputTokensPerSecond: 10 } },
      }),
    );
    const localOut = measured.byModel.find((m) => m.side === 'local')!.expected.output;
    // Four conversations at once: the slower server sets the pace.
    expect(measured.wallTime.measuredSeconds).toBe(Math.ceil(localOut / 10));
    const oneAtATime = estimateCampaign(
      input(items, {
        concurrency: 1,
        measured: { cloud: { outputTokensPerSecond: 90 }, local: { outputTokensPerSecond: 10 } },
      }),
    );
    expect(oneAtATime.wallTime.measuredSeconds!).toBeGreaterThan(measured.wallTime.measuredSeconds!);
  });

  it('holds a conversation to its maxTotalTokens plus one last turn', async () => {
    const items = await itemsOf({ seeds: ['Why?'], pairs: [{}], maxTurns: 20, maxTotalTokens: 2000 });
    const estimate = estimateCampaign(input(items));
    const bound = async (maxTurns: number) =>
      estimateCampaign(input(await itemsOf({ seeds: ['Why?'], pairs: [{}], maxTurns }))).tokens.max.total;
    // The last turn is the largest: its prompt carries the longest history.
    const lastTurn = (await bound(20)) - (await bound(19));
    expect(estimate.tokens.max.total).toBeGreaterThan(2000 + lastTurn - 4);
    expect(estimate.tokens.max.total).toBeLessThanOrEqual(2000 + lastTurn + 4);
    expect(estimate.tokens.expected.total).toBeLessThanOrEqual(2002);
    expect(estimate.modelCalls.max).toBe(40);
  });
});
