/**
 * The estimate without a pilot: from the finished campaigns in the output store that ran the same settings, naming
 * them; with none, the assumptions, saying so. Recorded in estimate.json either way.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runEstimate } from '../../src/campaign/estimate-run';
import type { EstimateSettings } from '../../src/campaign/estimate-settings';
import { validateCampaign, type ValidCampaign } from '../../src/campaign/validate';
import type { CampaignManifest } from '../../src/contracts/campaign';
import { campaignKey, MANIFEST_FILE, PLAN_FILE } from '../../src/output/campaign-files';
import { LocalStore } from '../../src/output/local-store';

let dir: string;
let store: LocalStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'estimate-past-'));
  store = new LocalStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const settings: EstimateSettings = {
  prices: {},
  defaults: { cloudModel: 'cloud-m', localModel: 'local-m', cloudMaxTokens: 150, localMaxTokens: 96 },
  caps: {
    cloud: { maxConcurrentCalls: 0, maxCallsPerSecond: 0 },
    local: { maxConcurrentCalls: 0, maxCallsPerSecond: 0 },
  },
};

async function valid(spec: object): Promise<ValidCampaign> {
  const v = await validateCampaign(spec, { inputDir: dir });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v;
}

/** A finished campaign in the store: its plan, and a manifest whose items each spent 2 turns and 300 tokens. */
async function finished(campaign: ValidCampaign): Promise<void> {
  const start = Date.parse('2026-12-01T10:00:00Z');
  await store.write(
    campaignKey(campaign.campaignId, PLAN_FILE),
    campaign.items.map((i) => `${JSON.stringify(i)}\n`).join(''),
  );
  const manifest = {
    campaignId: campaign.campaignId,
    status: 'completed',
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 20_000).toISOString(),
    items: campaign.items.map((item, k) => ({
      itemHash: item.itemHash,
      state: 'completed',
      quality: { resamples: k % 2 },
      outcome: {
        itemHash: item.itemHash,
        state: 'completed',
        turns: 2,
        usage: {
          cloud: { inputTokens: 100, outputTokens: 80 },
          local: { inputTokens: 90, outputTokens: 30 },
        },
        costUsd: 0.001,
        startedAt: new Date(start + 1000).toISOString(),
        endedAt: new Date(start + 11_000).toISOString(),
      },
    })),
  } as unknown as CampaignManifest;
  await store.write(campaignKey(campaign.campaignId, MANIFEST_FILE), JSON.stringify(manifest));
}

const base = { pairs: [{ cloud: { temperature: 0.3 } }], maxTurns: 3 };

test('a campaign with the settings of a finished one is estimated from it, which the estimate names', async () => {
  await finished(await valid({ ...base, campaignId: 'earlier', seeds: ['A?', 'B?', 'C?', 'D?'] }));
  const next = await valid({ ...base, campaignId: 'next', seeds: ['E?', 'F?', 'G?', 'H?', 'I?', 'J?'] });
  const { estimate, recorded } = await runEstimate({ campaign: next, settings, store });
  expect(estimate.basis).toBe('past-runs');
  expect(estimate.measured?.from).toEqual(['earlier']);
  expect(estimate.expected.turns.expected).toBe(12);
  expect(estimate.expected.tokens.cloud.output.expected).toBe(6 * 80);
  expect(estimate.expected.tokens.local.input.expected).toBe(6 * 90);
  expect(estimate.measured?.resamples.expected).toBe(3);
  // Four items ran at once, 10 s each (5 s a turn); six at concurrency 16 run at once too, plus the 10 s overhead.
  expect(estimate.expected.wallTimeSeconds?.expected).toBeGreaterThan(10);
  expect(recorded).toBe(true);
  const record = JSON.parse(await readFile(path.join(dir, 'campaigns', 'next', 'estimate.json'), 'utf8'));
  expect(record).toMatchObject({ campaignId: 'next', basis: 'past-runs', from: ['earlier'] });
});

test('other settings (another temperature) have no past run: the assumptions, said so', async () => {
  await finished(await valid({ ...base, campaignId: 'earlier', seeds: ['A?', 'B?'] }));
  const other = await valid({ ...base, pairs: [{ cloud: { temperature: 0.9 } }], seeds: ['E?'] });
  const { estimate } = await runEstimate({ campaign: other, settings, store });
  expect(estimate.basis).toBe('assumptions');
  expect(estimate.assumptions.at(-1)).toContain(
    "no finished campaign in the output store ran 1 of the spec's settings",
  );
});
