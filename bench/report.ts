/**
 * Report: the report page of a 10 000-conversation campaign (BENCH_REPORT_ITEMS) of 8 turns each, written by the
 * real report and viewer writers into a folder, then opened as a file in headless Chromium: the page's size, the
 * viewer's files, the time to first contentful paint, until the table is filled and usable, to open a conversation
 * and to apply a filter. The conversations are synthetic (no model is called): the figures are the page's.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReport, REPORT_FILE } from '../src/campaign/dataset/report';
import { VIEWER_INDEX_FILE } from '../src/campaign/dataset/viewer/data';
import { ConversationViewWriter, writeViewerIndex } from '../src/campaign/dataset/viewer/write';
import type { CampaignManifest, ManifestItem } from '../src/contracts/campaign';
import type { Turn } from '../src/contracts/conversation';
import { campaignKey } from '../src/output/campaign-files';
import { LocalStore } from '../src/output/local-store';
import { launchChromium } from '../test/helpers/chromium';
import { benchRuns, summarize, type Summary } from './stats';

const TURNS = 8;
const CAMPAIGN = 'report-bench';
const WORDS = 'the model answers a question about light and colour in the sky at dusk and dawn'.split(' ');

/** A reply of about `words` words, different per conversation and turn. */
function text(seed: number, words: number): string {
  return Array.from({ length: words }, (_, i) => WORDS[(seed * 7 + i * 3) % WORDS.length]).join(' ');
}

function turns(i: number): Turn[] {
  return Array.from({ length: TURNS }, (_, k): Turn => {
    const n = k + 1;
    return {
      turn: n,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000 + n * 5_000).toISOString(),
      query: n === 1 ? `Seed ${i % 2500}: why is the sky blue?` : text(i + n - 1, 20),
      cloudResponse: text(i + n, 80),
      localResponse: text(i + n, 20),
      processingTimeMs: 900 + ((i + n) % 300),
      cloudModel: i % 2 ? 'cloud-b' : 'cloud-a',
      localModel: 'gemma3:270m',
      cloudLatencyMs: 600 + ((i * 7 + n) % 400),
      localLatencyMs: 200 + ((i * 3 + n) % 100),
      cloudUsage: { inputTokens: 40 * n, outputTokens: 110 },
      localUsage: { inputTokens: 120, outputTokens: 28 },
    };
  });
}

function manifestOf(items: number): CampaignManifest {
  const rows = Array.from({ length: items }, (_, i): ManifestItem => {
    const hash = i.toString(16).padStart(12, '0');
    const failed = i % 97 === 5;
    return {
      itemHash: hash,
      index: i,
      conversationId: `campaign-${CAMPAIGN}-${hash}`,
      seedId: `seed-${Math.floor(i / 4)}`,
      pairIndex: i % 2,
      grid: { 'cloud.temperature': Math.floor(i / 2) % 2 ? 0.9 : 0.2 },
      repeat: 0,
      state: failed ? 'failed' : 'completed',
      models: { cloud: i % 2 ? 'cloud-b' : 'cloud-a', local: 'gemma3:270m' },
      outcome: {
        itemHash: hash,
        conversationId: `campaign-${CAMPAIGN}-${hash}`,
        state: failed ? 'failed' : 'completed',
        ...(failed
          ? { error: { type: 'ChildWorkflowFailure', message: 'synthetic failure' } }
          : { endReason: i % 13 ? 'max_turns' : 'repetition' }),
        turns: failed ? 0 : TURNS,
        usage: {
          cloud: { inputTokens: 1440, outputTokens: 880 },
          local: { inputTokens: 960, outputTokens: 224 },
        },
        costUsd: 0.0175,
        ...(!failed && {
          csvPath: campaignKey(CAMPAIGN, `conversations/${hash}.csv`),
          jsonlPath: campaignKey(CAMPAIGN, `conversations/${hash}.jsonl`),
        }),
        judge: { score: 1 + (i % 10), rationale: 'synthetic', model: 'gemma3:270m' },
      },
      quality: {
        emptyReplies: 0,
        truncatedReplies: i % 11 === 0 ? 1 : 0,
        maxRepetition: (i % 10) / 10,
        resamples: i % 17 === 0 ? 1 : 0,
        meanReplyChars: 300,
        distinct1: 0.5,
        distinct2: 0.7,
        turnOverlap: { cloud: 0.1, local: 0.2 },
        collapsed: i % 13 === 0,
      },
    };
  });
  const done = rows.filter((r) => r.state === 'completed').length;
  return {
    formatVersion: 1,
    campaignId: CAMPAIGN,
    workflowId: `campaign-${CAMPAIGN}`,
    name: `${items} synthetic conversations`,
    status: 'completed',
    spec: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-02T00:00:00.000Z',
    updatedAt: '2026-01-02T00:00:00.000Z',
    counts: { pending: 0, running: 0, completed: done, failed: items - done, skipped: 0 },
    totals: {
      inputTokens: items * 2400,
      outputTokens: items * 1104,
      costUsd: items * 0.0175,
      turns: done * TURNS,
    },
    byModel: {},
    items: rows,
  } as unknown as CampaignManifest;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

/** In the page: ms since navigation start until `selector` is in the DOM, checked at every frame. */
const readyAt = (selector: string) =>
  `new Promise((resolve) => { const check = () => document.querySelector(${JSON.stringify(selector)}) ? resolve(performance.now()) : requestAnimationFrame(check); check(); })`;

/** In the page: ms from running `act` until `selector` is in the DOM. */
const afterAct = (act: string, selector: string) =>
  `new Promise((resolve) => { const t0 = performance.now(); ${act}; const check = () => document.querySelector(${JSON.stringify(selector)}) ? resolve(performance.now() - t0) : requestAnimationFrame(check); check(); })`;

export async function runReportBench(
  items = Number(process.env.BENCH_REPORT_ITEMS ?? '10000'),
): Promise<Record<string, Summary | number>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-report-'));
  const browser = await launchChromium();
  try {
    const store = new LocalStore(dir);
    const manifest = manifestOf(items);
    const link = (location: string | undefined) => location?.slice(campaignKey(CAMPAIGN).length + 1);
    const writeStarted = performance.now();
    const views = new ConversationViewWriter(store, CAMPAIGN);
    for (const item of manifest.items) {
      if (item.outcome?.jsonlPath === undefined) continue;
      await views.add(
        item,
        { conversationId: item.conversationId, endReason: 'max_turns', turns: turns(item.index) },
        { cloud: 110, local: 64 },
      );
    }
    await views.flush();
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    await writeViewerIndex(store, manifest, link);
    const latencies = manifest.items.flatMap((i) => turns(i.index % 50).map((t) => t.cloudLatencyMs));
    await store.write(
      campaignKey(CAMPAIGN, REPORT_FILE),
      renderReport({ manifest, latencyMs: { cloud: latencies, local: latencies.map((l) => l / 3) } }),
    );
    const folder = path.join(dir, 'campaigns', CAMPAIGN);
    const conversationsBytes = await folderBytes(path.join(folder, 'viewer', 'conversations'));

    const fcp: number[] = [];
    const tableReady: number[] = [];
    const open: number[] = [];
    const next: number[] = [];
    const filter: number[] = [];
    for (let run = 0; run < benchRuns(); run++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(path.join(folder, REPORT_FILE)).href, { waitUntil: 'commit' });
      tableReady.push(await page.evaluate<number>(readyAt('#conversations[data-ready] #items tbody tr')));
      fcp.push(
        await page.evaluate<number>(
          `performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1`,
        ),
      );
      open.push(
        await page.evaluate<number>(
          afterAct(`document.querySelector('#items tbody tr').click()`, '#viewer .chat'),
        ),
      );
      next.push(
        await page.evaluate<number>(
          afterAct(
            `document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }))`,
            '#panes .pane[data-item="000000000001"] .chat',
          ),
        ),
      );
      await page.keyboard.press('Escape');
      filter.push(
        await page.evaluate<number>(
          afterAct(
            `const s = document.getElementById('f-flag'); s.value = 'truncated'; s.dispatchEvent(new Event('change'))`,
            '#items tbody tr:nth-child(2)[data-item="00000000000b"]',
          ),
        ),
      );
      await page.close();
    }
    return {
      'report.items': items,
      'report.pageBytes': (await stat(path.join(folder, REPORT_FILE))).size,
      'report.indexBytes': (await stat(path.join(folder, VIEWER_INDEX_FILE))).size,
      'report.conversationFileBytes': Math.round(conversationsBytes / manifest.counts.completed),
      'report.viewerWriteSecondsPer10k': (writeSeconds * 10_000) / items,
      'report.firstContentfulPaintMs': summarize(fcp),
      'report.tableReadyMs': summarize(tableReady),
      'report.openConversationMs': summarize(open),
      'report.nextConversationMs': summarize(next),
      'report.filterMs': summarize(filter),
    };
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}
