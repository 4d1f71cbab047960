import { ConfigError } from '../../src/contracts/errors';
import { createTokenBucket, estimateTokens } from '../../src/conversation/activities/token-bucket';
import { parseModelPrices, priceCall } from '../../src/models/prices';

describe('MODEL_PRICES_FILE', () => {
  it('prices a call per 1 000 input and output tokens', () => {
    const prices = parseModelPrices('{"m": {"inputPer1k": 0.5, "outputPer1k": 2}}', 'prices.json');
    expect(priceCall(prices, 'm', { inputTokens: 2000, outputTokens: 500 })).toEqual({
      costUsd: 2,
      priced: true,
    });
  });

  it('prices a batch call at the model’s batch price, or on demand when it has none', () => {
    const prices = parseModelPrices(
      JSON.stringify({
        halved: { inputPer1k: 1, outputPer1k: 4, batchInputPer1k: 0.5, batchOutputPer1k: 2 },
        plain: { inputPer1k: 1, outputPer1k: 4 },
      }),
      'prices.json',
    );
    const usage = { inputTokens: 1000, outputTokens: 500 };
    expect(priceCall(prices, 'halved', usage, 'batch')).toEqual({ costUsd: 1.5, priced: true });
    expect(priceCall(prices, 'halved', usage)).toEqual({ costUsd: 3, priced: true });
    expect(priceCall(prices, 'plain', usage, 'batch')).toEqual({ costUsd: 3, priced: true });
    expect(() =>
      parseModelPrices('{"m": {"inputPer1k": 1, "outputPer1k": 1, "batchInputPer1k": -1}}', 'p.json'),
    ).toThrow('model "m" batchInputPer1k');
  });

  it('costs an unknown model nothing and says it is unpriced', () => {
    expect(priceCall({}, 'toString', { inputTokens: 10, outputTokens: 10 })).toEqual({
      costUsd: 0,
      priced: false,
    });
  });

  it.each([
    ['{"claude": {"inputPer1k": -1, "outputPer1k": 1}}', /model "claude" inputPer1k/],
    ['{"claude": {"inputPer1k": 1}}', /model "claude" outputPer1k/],
    ['{"claude": {"inputPer1k": 1, "outputPer1k": 1, "per": 2}}', /model "claude"/],
    ['[1]', /prices\.json/],
    ['not json', /not JSON/],
  ])('refuses %s at start-up, naming the model', (json, message) => {
    expect(() => parseModelPrices(json, 'prices.json')).toThrow(ConfigError);
    expect(() => parseModelPrices(json, 'prices.json')).toThrow(message);
  });
});

describe('the cloud tokens-per-minute bucket', () => {
  it('lets a minute’s worth through at once, then makes each call wait for its tokens, in order', () => {
    let now = 0;
    const bucket = createTokenBucket(6000, () => now); // 100 tokens a second
    expect(bucket.reserve(6000).waitMs).toBe(0);
    expect(bucket.reserve(100).waitMs).toBe(1000);
    expect(bucket.reserve(100).waitMs).toBe(2000);
    now = 2000;
    expect(bucket.reserve(100).waitMs).toBe(1000);
  });

  it('gives a cancelled reservation back', () => {
    const now = 0;
    const bucket = createTokenBucket(6000, () => now);
    bucket.reserve(6000);
    const waiting = bucket.reserve(600);
    expect(waiting.waitMs).toBe(6000);
    waiting.cancel();
    waiting.cancel();
    expect(bucket.reserve(100).waitMs).toBe(1000);
  });

  it('runs a call larger than a minute’s budget rather than never', () => {
    const bucket = createTokenBucket(100, () => 0);
    expect(bucket.reserve(500).waitMs).toBe(0);
  });

  it('estimates input tokens at 4 characters each', () => {
    expect(estimateTokens(['abcd', undefined, 'abcde'])).toBe(3);
  });
});
