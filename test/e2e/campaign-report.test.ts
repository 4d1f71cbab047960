/**
 * report.html in headless Chromium (as the Web UI test opens the Temporal UI): it renders with the network cut off
 * (nothing loads but the page and its viewer's files), its figures (counts, tokens, cost, per-model rows, judge scores) are the manifest's, its links lead to the
 * transcripts, and a screenshot is kept in test-output/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import type { CampaignManifest, ItemOutcome } from '../../src/contracts/campaign';
import { FakeOllama } from '../fixtures/ollama-server';
import { buildCampaignFolder, writeFixtureDataset, type FixtureItem } from '../helpers/campaign-folder';
import { repoRoot } from '../helpers/tools';
import { until } from '../helpers/wait';

const screenshots = path.join(repoRoot, 'test-output');

const ITEMS: FixtureItem[] = [
  ...Array.from({ length: 14 }, (_, i): FixtureItem => ({
    turns: 1 + (i % 4),
    truncatedAt: i % 5 === 0 ? 1 : undefined,
  })),
  { turns: 2, endReason: 'repetition', repeating: true },
  { turns: 1, endReason: 'stop_phrase' },
  { turns: 0, state: 'failed' },
  { turns: 0, state: 'skipped' },
];

const ollama = new FakeOllama();
let browser: Browser;
let dir: string;
let folder: string;
let manifest: CampaignManifest;

beforeAll(async () => {
  await ollama.start();
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-report-'));
  const fixture = await buildCampaignFolder(dir, 'report', ITEMS);
  folder = path.join(dir, 'campaigns', 'report');
  // A judge scored most conversations; one reply held no score.
  const outcomes: ItemOutcome[] = fixture.outcomes.map((o, i) =>
    o.state !== 'completed'
      ? o
      : {
          ...o,
          judge:
            i === 3
              ? { score: null, rationale: 'no score in the judge replies', model: 'gemma3:270m', attempts: 3 }
              : { score: 1 + (i % 10), rationale: `rationale ${i}`, model: 'gemma3:270m', attempts: 1 },
        },
  );
  manifest = await writeFixtureDataset({
    outputDir: dir,
    fixture,
    outcomes,
    itemCount: ITEMS.length,
    ollamaUrl: ollama.url,
    spec: { judge: { model: 'gemma3:270m', side: 'local', rubric: 'Stay on topic.' } },
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await ollama.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

async function openReport(): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  // Only the page and the viewer's files beside it may load: anything else (a CDN, a font, an image) would need the
  // network.
  const own = pathToFileURL(folder).href;
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === `${own}/report.html` || url.startsWith(`${own}/viewer/`)) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(path.join(folder, 'report.html')).href);
  return { page, requests };
}

const figure = (page: Page, name: string) => page.locator(`[data-figure="${name}"]`).innerText();

it('renders offline with the manifest figures, the model table, the judge scores and transcript links', async () => {
  const { page, requests } = await openReport();
  await page.locator('#conversations[data-ready]').waitFor({ timeout: 60_000 });
  expect(requests).toEqual([]);

  expect(await figure(page, 'items')).toBe(int(manifest.items.length));
  for (const state of ['completed', 'failed', 'skipped', 'pending', 'running'] as const) {
    expect(await figure(page, `count-${state}`)).toBe(int(manifest.counts[state]));
  }
  expect(await figure(page, 'turns')).toBe(int(manifest.totals.turns));
  expect(await figure(page, 'input-tokens')).toBe(int(manifest.totals.inputTokens));
  expect(await figure(page, 'output-tokens')).toBe(int(manifest.totals.outputTokens));
  expect(await figure(page, 'cost')).toBe(`$${manifest.totals.costUsd.toFixed(4)}`);
  expect(await figure(page, 'status')).toBe('completed');

  for (const [model, m] of Object.entries(manifest.byModel)) {
    const row = page.locator(`#models tr[data-model="${model}"]`);
    expect(await row.locator('[data-col="input"]').innerText()).toBe(int(m.inputTokens));
    expect(await row.locator('[data-col="output"]').innerText()).toBe(int(m.outputTokens));
    expect(await row.locator('[data-col="cost"]').innerText()).toBe(
      m.priced ? `$${m.costUsd.toFixed(4)}` : 'no price',
    );
  }

  const judged = manifest.items.flatMap((i) => (i.outcome?.judge ? [i.outcome.judge] : []));
  const scores = judged.flatMap((j) => (j.score === null ? [] : [j.score]));
  expect(await figure(page, 'judge-count')).toBe(String(judged.length));
  expect(await figure(page, 'judge-unscored')).toBe('1');
  expect(await figure(page, 'judge-mean')).toBe(
    (scores.reduce((s, v) => s + v, 0) / scores.length).toFixed(2),
  );
  const truncated = manifest.items.filter((i) => (i.quality?.truncatedReplies ?? 0) > 0).length;
  expect(truncated).toBeGreaterThan(0);
  expect(await figure(page, 'quality-truncated')).toBe(String(truncated));

  const rows = page.locator('#items tbody tr');
  expect(await rows.count()).toBe(manifest.items.length);
  const first = manifest.items[0]!;
  const link = page.locator(`#items tr[data-item="${first.itemHash}"] a`, { hasText: 'csv' });
  expect(await link.getAttribute('href')).toBe(`conversations/${first.itemHash}.csv`);
  expect(existsSync(path.join(folder, 'conversations', `${first.itemHash}.csv`))).toBe(true);
  // Charts are drawn: one SVG per distribution at least.
  expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(5);

  // The table filter narrows the rows.
  await page.locator('#filter').fill('skipped');
  await until(
    () => page.locator('#items tbody tr:visible').count(),
    (n) => n === 1,
    { timeoutMs: 30_000, what: 'the table filtered to the skipped item' },
  );
  await page.locator('#filter').fill('');
  mkdirSync(screenshots, { recursive: true });
  const file = path.join(screenshots, 'campaign-report.png');
  await page.screenshot({ path: file, fullPage: true });
  expect(existsSync(file)).toBe(true);
  await page.close();
}, 300_000);
