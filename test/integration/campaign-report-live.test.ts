/**
 * `GET /campaigns/:id/report` in headless Chromium while a campaign runs: the page reloads itself and its progress
 * changes as conversations end, then it shows the final figures. The real campaign and conversation workflows run
 * on Temporal's test server with model clients the test lets answer one at a time; the real Conversation API serves
 * the page.
 */
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { createApp } from '../../src/api/app';
import { startCampaign } from '../../src/campaign/start';
import { validateCampaign } from '../../src/campaign/validate';
import type { LlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { LocalStore } from '../../src/output/local-store';
import { loadConfig } from '../../src/shared/config';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { launchChromium } from '../helpers/chromium';
import { createCampaignWorker } from '../helpers/campaign-worker';
import { ollamaClient } from '../helpers/ollama-client';
import { registerConversationSearchAttributes } from '../helpers/search-attributes';
import { requireTool } from '../helpers/tools';
import { until } from '../helpers/wait';

jest.setTimeout(300_000);

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-report-live-'));
  await Promise.all([mkdir(path.join(dir, 'output')), mkdir(path.join(dir, 'input'))]);
  [env, workflowBundle, browser] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireTool('temporal-test-server') } },
    }),
    bundleWorkflowCode({ ...workflowBundling, logger: new DefaultLogger('WARN') }),
    launchChromium(),
  ]);
  await registerConversationSearchAttributes(env.connection, env.namespace ?? 'default');
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

test('the report page of a running campaign refreshes itself as conversations end, then shows the final figures', async () => {
  // Each cloud call waits for its turn: the test lets the conversations end one at a time.
  const waiting: (() => void)[] = [];
  const releaseOne = () => waiting.shift()?.();
  const llm: LlmServiceClient = {
    generate: async (request) => {
      await new Promise<void>((resolve) => waiting.push(resolve));
      return {
        response: `An answer to ${request.messages.at(-1)?.content ?? ''}`,
        model: 'fake-cloud',
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 4 },
        latencyMs: 1,
        requestId: randomUUID(),
      };
    },
  };
  let questions = 0;
  const ollama = ollamaClient({
    chat: async (request) => ({
      model: request.model,
      message: { role: 'assistant', content: `Question ${++questions}?` },
      prompt_eval_count: 1,
      eval_count: 1,
    }),
    tags: async () => ({ models: [] }),
  });
  const outputDir = path.join(dir, 'output');
  const store = new LocalStore(outputDir);
  const taskQueue = `campaign-report-${randomUUID()}`;
  const worker = await createCampaignWorker({
    env,
    workflowBundle,
    taskQueue,
    llm,
    ollama,
    store,
    inputDir: path.join(dir, 'input'),
  });
  const config = { ...loadConfig({}), OUTPUT_DIR: outputDir, TEMPORAL_TASK_QUEUE: taskQueue };
  const app = createApp({ client: env.client, config, logger: pino({ level: 'silent' }), store });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/campaigns/live/report`;
  const valid = await validateCampaign(
    {
      campaignId: 'live',
      seeds: ['A?', 'B?', 'C?'],
      pairs: [{}],
      maxTurns: 1,
      concurrency: 1,
      novelty: false,
    },
    { inputDir: path.join(dir, 'input') },
  );
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));

  try {
    await worker.runUntil(async () => {
      const { handle } = await startCampaign(env.client, taskQueue, valid);
      await until(
        async () => existsSync(path.join(outputDir, 'campaigns', 'live', 'manifest.json')) && waiting.length,
        (ready) => !!ready,
        {
          timeoutMs: 60_000,
          intervalMs: 100,
          what: 'the first checkpoint written and the first call waiting',
        },
      );
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/.test(m.text())) refused.push(m.text());
      });
      const completed = () =>
        page.textContent('[data-figure="count-completed"]', { timeout: 2_000 }).catch(() => undefined);
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      // The page's script reloads it (never under a reader); without scripts, a <noscript> refresh does.
      expect(await page.locator('body[data-refresh]').count()).toBe(1);
      expect(await completed()).toBe('0');

      // Nothing but the page's own reloads shows the next figures.
      for (const done of ['1', '2']) {
        releaseOne();
        await until(completed, (text) => text === done, {
          timeoutMs: 60_000,
          intervalMs: 250,
          what: `the page showing ${done} completed`,
        });
      }
      releaseOne();
      await handle.result();
      await until(
        async () => ({
          completed: await completed(),
          refreshing: await page
            .locator('body[data-refresh]')
            .count()
            .catch(() => -1),
        }),
        (p) => p.completed === '3' && p.refreshing === 0,
        { timeoutMs: 60_000, intervalMs: 250, what: 'the final page: 3 completed, no more reloads' },
      );
      expect(await page.textContent('body')).toContain('completed');
      // Each conversation reads as a chat, from the file the campaign's checkpoint wrote for it.
      await page.locator('#items tr:has(.state.completed)').first().click();
      await page.locator('#viewer .chat').waitFor({ timeout: 30_000 });
      // The seed, the answer and the question of its one turn.
      expect(await page.locator('#viewer .chat .msg').count()).toBe(3);
      // The page's script and styles pass the policy it is served with.
      expect(refused).toEqual([]);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
