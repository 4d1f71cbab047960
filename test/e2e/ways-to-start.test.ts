/**
 * Every way a user starts and watches a run, against the stack `npm start` brings up (real Temporal dev server,
 * real Ollama with gemma3:270m): the Temporal CLI with no API involved, our `npm run converse` CLI, and the
 * Temporal Web UI in headless Chromium.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { startStack, type StackHandle } from '../helpers/stack';
import { repoRoot, requireTool } from '../helpers/tools';

const run = promisify(execFile);
const screenshots = path.join(repoRoot, 'test-output');

let stack: StackHandle;
let temporal: string;

beforeAll(async () => {
  temporal = requireTool('temporal');
  stack = await startStack({ CLOUD_MAX_TOKENS: '32', LOCAL_MAX_TOKENS: '24' });
}, 900_000);

afterAll(async () => {
  await stack?.interrupt();
}, 120_000);

function csvRows(file: string): string[][] {
  return (parse(readFileSync(file, 'utf8')) as string[][]).slice(1);
}

async function temporalCli(...args: string[]): Promise<string> {
  const { stdout } = await run(temporal, [...args, '--address', stack.env.TEMPORAL_ADDRESS!], {
    timeout: 600_000,
  });
  return stdout;
}

describe('temporal workflow start', () => {
  const id = `conversation-cli-${Date.now()}`;

  it('runs a conversation with no API involved: the worker writes the CSV, the query shows the turns', async () => {
    await temporalCli(
      'workflow',
      'start',
      '--task-queue',
      'llm-conversations',
      '--type',
      'conversationWorkflow',
      '--workflow-id',
      id,
      '--input',
      // The novelty guard off: the 270M base model may repeat itself, which would end the run early.
      JSON.stringify({ initialQuery: 'What is a durable workflow?', maxTurns: 2, novelty: false }),
    );
    const result = JSON.parse(
      await temporalCli('workflow', 'result', '--workflow-id', id, '--output', 'json'),
    ) as {
      result: { endReason: string; csvPath: string };
    };
    expect(result.result.endReason).toBe('max_turns');
    expect(result.result.csvPath).toBe(path.join(stack.outputDir, `${id}.csv`));
    const rows = csvRows(result.result.csvPath);
    expect(rows).toHaveLength(2);
    expect(rows[0]![1]).toBe('What is a durable workflow?');

    const query = JSON.parse(
      await temporalCli('workflow', 'query', '--workflow-id', id, '--name', 'transcript', '--output', 'json'),
    ) as { queryResult: [{ completedTurns: number; turns: { query: string }[] }] };
    expect(query.queryResult[0].completedTurns).toBe(2);
    expect(query.queryResult[0].turns[0]!.query).toBe('What is a durable workflow?');
  }, 600_000);
});

describe('npm run converse', () => {
  it('starts a run, prints each turn as it lands, and ends with where the files are', async () => {
    const child = spawn(
      'npm',
      [
        'run',
        '--silent',
        'converse',
        '--',
        'Why is the sky blue?',
        '--turns',
        '2',
        '--out',
        'cli.csv',
        '--no-novelty',
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, ...stack.env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const csv = path.join(stack.outputDir, 'cli.csv');
    expect(stdout).toMatch(/turn 1\b/i);
    expect(stdout).toMatch(/turn 2\b/i);
    expect(stdout).toContain(csv);
    expect(stdout).toContain(csv.replace(/\.csv$/, '.jsonl'));
    expect(csvRows(csv)).toHaveLength(2);
  }, 600_000);

  it('refuses a bad flag with exit code 2 and a message naming it', async () => {
    const result = await run('npm', ['run', '--silent', 'converse', '--', 'hi', '--turns', 'lots'], {
      cwd: repoRoot,
      env: { ...process.env, ...stack.env },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('--turns') });
  }, 120_000);
});

describe('the Temporal Web UI', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('lists the conversation and shows its activity history', async () => {
    const res = await fetch(`${stack.apiUrl}/conversation?wait=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...stack.apiHeaders },
      body: JSON.stringify({ initialQuery: 'What is the Temporal Web UI?', maxTurns: 1 }),
    });
    expect(res.status).toBe(200);
    const { workflowId, runId } = (await res.json()) as { workflowId: string; runId: string };

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const ui = stack.env.TEMPORAL_UI_URL!;
    await page.goto(`${ui}/namespaces/default/workflows`);
    await page.getByText(workflowId).first().waitFor({ timeout: 60_000 });

    await page.goto(`${ui}/namespaces/default/workflows/${workflowId}/${runId}/history`);
    for (const activity of ['askCloud', 'askLocal', 'exportTranscript']) {
      await page.getByText(activity).first().waitFor({ timeout: 60_000 });
    }
    mkdirSync(screenshots, { recursive: true });
    const file = path.join(screenshots, 'temporal-ui-conversation-history.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
  }, 300_000);
});
