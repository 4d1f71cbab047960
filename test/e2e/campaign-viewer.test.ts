/**
 * The report's conversation viewer in headless Chromium, on a campaign of 6 seeds × a grid of 2 cloud
 * temperatures written by the real dataset activities: opened as a file (file://, no server) and through the
 * Conversation API's report route with the campaign's files on the local disk and in an S3 store (moto). Each run
 * filters the table, opens a conversation as a chat, steps to the next with the keyboard and compares the same seed
 * across the two grid cells. A failing step leaves a screenshot in test-output/campaign-viewer/ (its path printed).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../src/api/app';
import type { ViewerIndex } from '../../src/campaign/dataset/viewer/data';
import type { CampaignManifest, ItemOutcome } from '../../src/contracts/campaign';
import { LocalStore } from '../../src/output/local-store';
import { S3Store } from '../../src/output/s3-store';
import type { OutputStore } from '../../src/output/store';
import { loadConfig } from '../../src/shared/config';
import { FakeOllama } from '../fixtures/ollama-server';
import { S3Server } from '../fixtures/s3-server';
import { buildCampaignFolder, writeFixtureDataset, type FixtureItem } from '../helpers/campaign-folder';
import { launchChromium } from '../helpers/chromium';
import { repoRoot, requireTool } from '../helpers/tools';
import { readViewerIndex } from '../helpers/viewer-files';

jest.setTimeout(300_000);

const CAMPAIGN = 'viewer';
const SEEDS = 6;
/** Model output that would run as script if the page ever took it as markup. */
const HOSTILE = ' <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const screenshots = path.join(repoRoot, 'test-output', 'campaign-viewer');

// Plan order is seed by seed, each seed in both cells; item 9 failed, one answer was cut at its token limit.
const ITEMS: FixtureItem[] = Array.from({ length: SEEDS * 2 }, (_, i): FixtureItem => {
  if (i === 9) return { turns: 0, state: 'failed' };
  return {
    turns: 2 + (i % 3),
    ...(i % 4 === 1 && { truncatedAt: 1 }),
    ...(i === 0 && { answerSuffix: HOSTILE }),
  };
});

const ollama = new FakeOllama();
let dir: string;
let folder: string;
let manifest: CampaignManifest;
let index: ViewerIndex;
let browser: Browser;
let env: TestWorkflowEnvironment;
let s3: S3Server;
const servers: Server[] = [];

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-viewer-'));
  await ollama.start();
  const fixture = await buildCampaignFolder(dir, CAMPAIGN, ITEMS, {
    seeds: SEEDS,
    spec: { grid: { cloud: { temperature: [0.2, 0.9] } } },
  });
  folder = path.join(dir, 'campaigns', CAMPAIGN);
  const outcomes: ItemOutcome[] = fixture.outcomes.map((o, i) =>
    o.state === 'completed'
      ? {
          ...o,
          judge: { score: 1 + (i % 10), rationale: `rationale ${i}`, model: 'gemma3:270m', attempts: 1 },
        }
      : o,
  );
  manifest = await writeFixtureDataset({
    outputDir: dir,
    fixture,
    outcomes,
    itemCount: ITEMS.length,
    ollamaUrl: ollama.url,
  });
  index = readViewerIndex(folder);

  [browser, env, s3] = await Promise.all([
    launchChromium(),
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireTool('temporal-test-server') } },
    }),
    S3Server.start(),
  ]);
  // The campaign's workflow, closed: the report route then serves the stored report.html.
  const handle = await env.client.workflow.start('campaignWorkflow', {
    workflowId: `campaign-${CAMPAIGN}`,
    taskQueue: 'no-worker-polls-this',
    args: [],
  });
  await handle.terminate('the viewer test needs a closed campaign only');
}, 300_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await browser?.close();
  await env?.teardown();
  await s3?.stop();
  await ollama.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The API over `store`, on a free port; its report page's URL. */
async function serve(store: OutputStore): Promise<string> {
  const config = { ...loadConfig({}), OUTPUT_DIR: dir };
  const app = createApp({ client: env.client, config, logger: pino({ level: 'silent' }), store });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/campaigns/${CAMPAIGN}/report`;
}

/** Every file of the campaign's folder copied into `store` under the same keys. */
async function copyInto(store: OutputStore): Promise<void> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  for (const e of entries.filter((x) => x.isFile())) {
    const file = path.join(e.parentPath, e.name);
    await store.write(path.relative(dir, file).split(path.sep).join('/'), await readFile(file));
  }
}

/** Runs `fn`; when it fails, a screenshot of the page is kept and its path printed. */
async function step<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    mkdirSync(screenshots, { recursive: true });
    const file = path.join(screenshots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false }).catch(() => undefined);
    console.error(`campaign-viewer: step "${name}" failed; screenshot at ${file}`);
    throw err;
  }
}

const rows = (page: Page) => page.locator('#items tbody tr');
const shownItems = (page: Page) =>
  rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-item')));
const openItem = (page: Page) => page.locator('#panes .pane').first().getAttribute('data-item');
const turnsOf = (item: string) => manifest.items.find((i) => i.itemHash === item)!.outcome!.turns;

/**
 * The walk a reader takes, on whichever URL serves the report: filter, open, step with the keyboard, compare.
 * `label` names the screenshots.
 */
async function walk(url: string, label: string, keep = false): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 960, height: 600 } });
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') refused.push(m.text());
  });
  page.on('pageerror', (e) => refused.push(e.message));
  // The walk's screenshots (docs/campaigns.md shows them), the table's with its section at the top.
  const shot = async (name: string, height = 600) => {
    if (!keep) return;
    mkdirSync(screenshots, { recursive: true });
    await page.evaluate(`document.getElementById('conversations').scrollIntoView()`);
    const clip = { x: 0, y: 0, width: 960, height };
    await page.screenshot({ path: path.join(screenshots, `${label}-${name}.png`), clip });
  };
  try {
    await step(page, `${label}-load`, async () => {
      await page.goto(url);
      await page.locator('#conversations[data-ready]').waitFor({ timeout: 60_000 });
      expect(await rows(page).count()).toBe(manifest.items.length);
      expect(await page.locator('#shown').innerText()).toBe(`12 of 12 conversations`);
    });
    await shot('table', 480);

    await step(page, `${label}-filter`, async () => {
      await page.locator('#f-state').selectOption('failed');
      expect(await shownItems(page)).toEqual(
        manifest.items.filter((i) => i.state === 'failed').map((i) => i.itemHash),
      );
      await page.locator('#f-state').selectOption('');
      await page.locator('#f-flag').selectOption('truncated');
      const truncated = index.rows.filter((r) => r.flags.includes('truncated')).map((r) => r.item);
      expect(truncated.length).toBeGreaterThan(1);
      expect(await shownItems(page)).toEqual(truncated);
      await page.locator('#f-flag').selectOption('');
      // The cloud temperature 0.9 cell, completed only: the rows a reader then steps through.
      const hot = index.cells.findIndex((c) => c.label === 'cloud.temperature=0.9');
      await page.locator('#f-cell').selectOption(String(hot));
      await page.locator('#f-state').selectOption('completed');
      expect(await shownItems(page)).toEqual(
        index.rows.filter((r) => r.cell === hot && r.state === 'completed').map((r) => r.item),
      );
      await page.locator('#f-seed').fill('seed-2');
      expect(await shownItems(page)).toEqual(
        index.rows.filter((r) => r.cell === hot && r.seed === 'seed-2').map((r) => r.item),
      );
      await page.locator('#f-seed').fill('');
    });
    await shot('filtered');

    const filtered = index.rows.filter((r) => r.state === 'completed' && r.cell === 1).map((r) => r.item);
    const first = filtered[0]!;
    await step(page, `${label}-open`, async () => {
      await rows(page).first().click();
      await page.locator('#viewer .chat').waitFor({ timeout: 30_000 });
      expect(await openItem(page)).toBe(first);
      const turns = turnsOf(first);
      // The seed, then each turn's answer and question, numbered.
      expect(await page.locator('#viewer .msg').count()).toBe(1 + 2 * turns);
      expect(await page.locator('#viewer .msg.cloud').last().getAttribute('data-turn')).toBe(String(turns));
      const transcript = JSON.parse(
        readFileSync(path.join(folder, 'conversations', `${first}.jsonl`), 'utf8'),
      ) as { turns: { cloudLatencyMs: number; cloudResponse: string }[] };
      const head = await page.locator('#viewer .msg.cloud .head').first().innerText();
      expect(head).toContain(`${transcript.turns[0]!.cloudLatencyMs} ms`);
      expect(await page.locator('#viewer .msg.cloud .text').first().innerText()).toBe(
        transcript.turns[0]!.cloudResponse,
      );
      const judge = manifest.items.find((i) => i.itemHash === first)!.outcome!.judge!.score;
      expect(await page.locator('#viewer .judge').innerText()).toContain(`judge ${judge}/10`);
      expect(await page.locator('#viewer-position').innerText()).toBe(`1 of ${filtered.length} (filtered)`);
    });
    await shot('conversation');

    await step(page, `${label}-next`, async () => {
      await page.keyboard.press('ArrowRight');
      await page.locator(`#panes .pane[data-item="${filtered[1]}"] .chat`).waitFor({ timeout: 30_000 });
      expect(await page.locator('#viewer-position').innerText()).toBe(`2 of ${filtered.length} (filtered)`);
      expect(new URL(page.url()).hash).toContain(`open=${filtered[1]}`);
      await page.keyboard.press('k');
      await page.locator(`#panes .pane[data-item="${first}"] .chat`).waitFor({ timeout: 30_000 });
    });

    await step(page, `${label}-compare`, async () => {
      await page.keyboard.press('c');
      await page
        .locator('#viewer[data-mode="compare"] .pane:nth-child(2) .chat')
        .waitFor({ timeout: 30_000 });
      const [left, right] = await page
        .locator('#panes .pane')
        .evaluateAll((panes) => panes.map((p) => p.getAttribute('data-item')));
      const l = index.rows.find((r) => r.item === left)!;
      const r = index.rows.find((x) => x.item === right)!;
      expect(l.item).toBe(first);
      expect([r.seed, r.repeat, r.pair]).toEqual([l.seed, l.repeat, l.pair]);
      expect(r.cell).not.toBe(l.cell);
      expect(await page.locator('#panes .pane:nth-child(2) .msg').count()).toBe(1 + 2 * turnsOf(r.item));
    });
    await shot('compare', 430);

    await step(page, `${label}-untrusted-text`, async () => {
      // Item 0's answers end with markup: it shows as text and runs nothing.
      await page.keyboard.press('Escape');
      await page.locator('#f-cell').selectOption('');
      await page.locator('#f-state').selectOption('');
      await page.locator(`#items tr[data-item="${manifest.items[0]!.itemHash}"]`).click();
      await page.locator('#viewer .chat').waitFor({ timeout: 30_000 });
      expect(await page.locator('#viewer .msg.cloud .text').first().innerText()).toContain(HOSTILE.trim());
      expect(await page.locator('#viewer img, #panes script').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
      expect(refused).toEqual([]);
    });
  } finally {
    await page.close();
  }
}

test('the viewer works from the folder opened as a file', async () => {
  await walk(pathToFileURL(path.join(folder, 'report.html')).href, 'file', true);
});

test('the viewer works through the API report route, its files read from the local store', async () => {
  await walk(await serve(new LocalStore(dir)), 'api-local');
});

test('the viewer works through the API report route with an S3 output store', async () => {
  await s3.createBucket('viewer-bucket');
  const store = new S3Store({ client: s3.client(), bucket: 'viewer-bucket', prefix: 'out' });
  await copyInto(store);
  await walk(await serve(store), 'api-s3');
});

test('the report files route refuses names outside its patterns, naming the field, and 404s a missing file', async () => {
  const base = (await serve(new LocalStore(dir))).replace(/\/report$/, '');
  const get = async (p: string) => {
    const res = await fetch(`${base}${p}`);
    return { status: res.status, body: (await res.text()) as string, type: res.headers.get('content-type') };
  };
  const item = manifest.items[0]!.itemHash;
  const ok = await get(`/viewer/conversations/${item}.js`);
  expect(ok.status).toBe(200);
  expect(ok.type).toMatch(/^text\/javascript/);
  expect(ok.body.startsWith('reportViewer.conversation(')).toBe(true);
  expect((await get(`/conversations/${item}.csv`)).status).toBe(200);
  for (const bad of [
    '/viewer/conversations/..%2Fmanifest.json',
    '/viewer/plan.jsonl',
    '/conversations/x.js',
  ]) {
    const res = await get(bad);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { details: [{ field: 'file' }] } });
  }
  expect((await get('/viewer/conversations/000000000000.js')).status).toBe(404);
  const badId = await fetch(`${base.replace(/\/campaigns\/.*$/, '')}/campaigns/..%2Fx/viewer/index.js`);
  expect(badId.status).toBe(400);
  expect(await badId.json()).toMatchObject({ error: { details: [{ field: 'id' }] } });
});
