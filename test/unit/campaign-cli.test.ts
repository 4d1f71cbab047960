/** `npm run campaign`: its arguments, the spec file's errors (exit code 2), and the progress it prints. */
import { WorkflowFailedError, ApplicationFailure } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { createHook } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  follow,
  formatEnd,
  loadSpecFile,
  parseCampaignArgs,
  progressLine,
  UsageError,
} from '../../src/cli/campaign';
import { campaignStatusQuery } from '../../src/contracts/campaign';
import type { CampaignStatusView } from '../../src/contracts/campaign';
import { RetryState } from '@temporalio/common';
import { until } from '../helpers/wait';
import { LocalStore } from '../../src/output/local-store';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('arguments', () => {
  test.each([
    [['spec.yaml'], { kind: 'start', specFile: 'spec.yaml', detach: false, pollMs: 1000 }],
    [
      ['spec.json', '--id', 'run-1', '--detach', '--poll', '250'],
      { kind: 'start', specFile: 'spec.json', id: 'run-1', detach: true, pollMs: 250 },
    ],
    [['attach', 'abc123'], { kind: 'attach', campaignId: 'abc123', pollMs: 1000 }],
    [['--pause', 'abc'], { kind: 'signal', action: 'pause', campaignId: 'abc' }],
    [['--resume', 'abc'], { kind: 'signal', action: 'resume', campaignId: 'abc' }],
    [['--cancel', 'abc'], { kind: 'signal', action: 'cancel', campaignId: 'abc' }],
    [['-h'], { kind: 'help' }],
    [['--estimate', 'spec.yaml'], { kind: 'estimate', specFile: 'spec.yaml', rates: {}, pollMs: 1000 }],
    [
      ['spec.yaml', '--estimate', '--local-rate', '25', '--cloud-rate', '80.5', '--id', 'x'],
      {
        kind: 'estimate',
        specFile: 'spec.yaml',
        id: 'x',
        rates: { local: { outputTokensPerSecond: 25 }, cloud: { outputTokensPerSecond: 80.5 } },
        pollMs: 1000,
      },
    ],
    [
      ['--estimate', '--pilot', '6', 'spec.yaml'],
      { kind: 'estimate', specFile: 'spec.yaml', rates: {}, pilot: 6, pollMs: 1000 },
    ],
    [
      ['--estimate', '--pilot', 'auto', 'spec.yaml'],
      { kind: 'estimate', specFile: 'spec.yaml', rates: {}, pilot: 'auto', pollMs: 1000 },
    ],
  ])('%j', (argv, command) => {
    expect(parseCampaignArgs(argv)).toEqual(command);
  });

  test.each([
    [[], /spec file is missing/],
    [['a.yaml', 'b.yaml'], /one spec file/],
    [['attach'], /attach takes one campaign id/],
    [['attach', 'a', 'b'], /attach takes one campaign id/],
    [['attach', 'bad/id'], /attach: "bad\/id" is not a campaign id/],
    [['spec.yaml', '--id', 'has space'], /--id: "has space" is not a campaign id/],
    [['--pause', 'a', '--cancel', 'b'], /--pause takes a campaign id and nothing else/],
    [['--pause', 'a', 'spec.yaml'], /--pause takes a campaign id and nothing else/],
    [['spec.yaml', '--poll', '5'], /--poll must be 100..60000/],
    [['spec.yaml', '--turns', '5'], /Unknown option '--turns'/],
    [['spec.yaml', '--local-rate', '5'], /--local-rate goes with --estimate/],
    [['spec.yaml', '--estimate', '--cloud-rate', '0'], /--cloud-rate must be a number of tokens per second/],
    [['spec.yaml', '--estimate', '--detach'], /--estimate starts nothing/],
    [['spec.yaml', '--pilot', '4'], /--pilot goes with --estimate/],
    [['spec.yaml', '--estimate', '--pilot', 'some'], /--pilot must be auto or a number of items/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCampaignArgs(argv)).toThrow(UsageError);
    expect(() => parseCampaignArgs(argv)).toThrow(message);
  });
});

describe('spec files', () => {
  const load = async (name: string, content: string, id?: string) => {
    const file = path.join(dir, name);
    await writeFile(file, content);
    return loadSpecFile(file, { inputDir: dir, ...(id ? { id } : {}) });
  };

  test('YAML and JSON specs give the same campaign; --id overrides the campaignId', async () => {
    const yaml = await load(
      'a.yaml',
      'name: demo\nseeds:\n  - What is Temporal?\npairs:\n  - {}\nmaxTurns: 2\n',
    );
    const json = await load(
      'a.json',
      JSON.stringify({ name: 'demo', seeds: ['What is Temporal?'], pairs: [{}], maxTurns: 2 }),
    );
    expect(json.campaignId).toBe(yaml.campaignId);
    expect(yaml.items).toHaveLength(1);
    const named = await load('b.yml', 'seeds: [a]\npairs: [{}]\n', 'my-run');
    expect(named.campaignId).toBe('my-run');
    expect(named.items[0]!.conversation.conversationId).toMatch(/^campaign-my-run-[0-9a-f]{12}$/);
  });

  test.each([
    [
      'bad-field.yaml',
      'seeds: [a]\npairs:\n  - {}\n  - cloud: {model: ""}\n',
      /bad-field\.yaml: pairs\[1\]\.cloud\.model: /,
    ],
    ['two.yaml', 'seeds: []\npairs: []\n', /two\.yaml: seeds: .*\n.*two\.yaml: pairs: /],
    ['broken.yaml', 'seeds: [a\n', /broken\.yaml: not valid YAML: /],
    [
      'dup.yaml',
      'seeds: [a]\nseeds: [b]\npairs: [{}]\n',
      /dup\.yaml: not valid YAML: .*[Mm]ap keys must be unique/,
    ],
    ['broken.json', '{"seeds": [', /broken\.json: not valid JSON: /],
    ['list.json', '[1]', /list\.json: \(root\): /],
    ['spec.txt', 'seeds: [a]', /spec\.txt: a spec file ends with \.yaml, \.yml or \.json/],
  ])('%s is a usage error naming the file and the field', async (name, content, message) => {
    const error = await load(name, content).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  test('the command exits 2 naming the file and the field, before it needs Temporal', async () => {
    const file = path.join(dir, 'cli-bad.yaml');
    await writeFile(file, 'seeds: [a]\npairs:\n  - local: {temperature: 9}\n');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', path.join(__dirname, '../../src/cli/campaign.ts'), file],
        { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, timeout: 120_000 },
        (_err, _stdout, err) => resolve({ code: child.exitCode, stderr: err }),
      );
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`campaign: ${file}: pairs[0].local.temperature: `);
  }, 120_000);

  test('--estimate prints the figures of the example spec and exits 0, with no Temporal to reach', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(__dirname, '../../src/cli/campaign.ts'),
          '--estimate',
          path.join(__dirname, '../../examples/campaign.yaml'),
          '--local-rate',
          '20',
          '--cloud-rate',
          '20',
        ],
        { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', OUTPUT_DIR: dir }, timeout: 120_000 },
        (_err, out) => resolve({ code: child.exitCode, stdout: out }),
      );
    });
    expect(code).toBe(0);
    // 12 conversations × 3 turns × 2 sides, each reply asked for again up to twice (novelty on by default).
    expect(stdout).toContain('12 conversations, up to 36 turns (nothing started)');
    expect(stdout).toMatch(/model calls: at most 216, expected 72 \(cloud 108, local 108 at most\)/);
    expect(stdout).toMatch(/wall time: .*at the measured rates: \d+m\d\ds/);
    // No campaign has run here: the assumptions, said so, each figure with an interval; recorded for the campaign.
    expect(stdout).toContain('expected (interval), from fixed assumptions');
    expect(stdout).toMatch(/cost: \$\d+\.\d{4} \(\$\d+\.\d{4}–\$\d+\.\d{4}\)/);
    expect(stdout).toContain('no finished campaign in the output store ran');
    expect(stdout).toMatch(/recorded in .*estimate\.json/);
  }, 120_000);

  test("docs/campaigns.md's example spec is valid: 12 conversations", async () => {
    const example = await loadSpecFile(path.join(__dirname, '../../examples/campaign.yaml'), {
      inputDir: dir,
    });
    expect(example.items).toHaveLength(12);
  });

  test('a missing file is named', async () => {
    await expect(loadSpecFile(path.join(dir, 'none.yaml'), { inputDir: dir })).rejects.toThrow(
      /none\.yaml: no such file/,
    );
  });
});

const view = (over: Partial<CampaignStatusView> = {}): CampaignStatusView => ({
  campaignId: 'demo',
  workflowId: 'campaign-demo',
  status: 'running',
  itemCount: 10,
  counts: { pending: 5, running: 2, completed: 2, failed: 1, skipped: 0 },
  totals: { inputTokens: 1200, outputTokens: 300, costUsd: 0.0123, turns: 9 },
  startedAt: '2030-01-01T00:00:00.000Z',
  elapsedMs: 65_000,
  etaMs: 125_000,
  turnsPerSecond: 0.5,
  ...over,
});

describe('progress', () => {
  test('one line: done/total, running, failed, turns/s, tokens, cost, ETA', () => {
    expect(progressLine(view())).toBe(
      'running 3/10 done · 2 running · 1 failed · 0.50 turns/s · 1500 tokens · $0.0123 · ETA 2m05s',
    );
    expect(progressLine(view({ etaMs: undefined }))).toMatch(/ETA \?$/);
  });

  test('the end: counts, totals and where the dataset is', () => {
    const end = view({
      status: 'completed',
      counts: { pending: 0, running: 0, completed: 9, failed: 1, skipped: 0 },
    });
    expect(formatEnd(end, new LocalStore('/data/out'))).toEqual([
      'campaign demo completed: 9 completed, 1 failed, 0 skipped of 10 · 9 turns · 1500 tokens · $0.0123 · 1m05s',
      'dataset: /data/out/campaigns/demo',
    ]);
  });

  test('follow prints a line per change (not a terminal) until the workflow closes, then the final status', async () => {
    const views = [
      view(),
      view(),
      view({ counts: { pending: 0, running: 0, completed: 9, failed: 1, skipped: 0 }, status: 'completed' }),
    ];
    let finish: () => void = () => undefined;
    const result = new Promise<void>((resolve) => (finish = resolve));
    let calls = 0;
    const handle = {
      result: () => result,
      query: jest.fn(async (q: unknown) => {
        expect(q).toBe(campaignStatusQuery);
        const next = views[Math.min(calls++, views.length - 1)]!;
        if (calls === 3) finish();
        return next;
      }),
    } as unknown as WorkflowHandle;
    const client = { withDeadline: <R>(_d: number | Date, fn: () => Promise<R>) => fn() };
    const out: string[] = [];
    const last = await follow(client as never, handle, 100, {
      out: (l) => out.push(l),
      err: () => undefined,
      tty: false,
    });
    expect(last?.status).toBe('completed');
    expect(out[0]).toMatch(/^running 3\/10 done/);
    expect(out.at(-1)).toMatch(/^completed 10\/10 done/);
    expect(new Set(out).size).toBe(out.length);
  });

  test('follow returns when detached (Ctrl-C), while the workflow goes on, leaving no timer behind', async () => {
    // Poll-length timers (a second or more: not the test's own polling) created from here on and not yet fired
    // or cleared (counting the whole process's timers raced with timers of earlier tests ending meanwhile).
    const liveTimers = new Set<number>();
    const hook = createHook({
      init: (id, type, _trigger, resource) =>
        void (
          type === 'Timeout' &&
          (resource as { _idleTimeout?: number })._idleTimeout! >= 1000 &&
          liveTimers.add(id)
        ),
      destroy: (id) => void liveTimers.delete(id),
    }).enable();
    const handle = {
      result: () => new Promise(() => undefined),
      query: async () => view(),
    } as unknown as WorkflowHandle;
    const client = { withDeadline: <R>(_d: number | Date, fn: () => Promise<R>) => fn() };
    const detach = new AbortController();
    const out: string[] = [];
    const following = follow(
      client as never,
      handle,
      60_000,
      { out: (l) => out.push(l), err: () => undefined, tty: false },
      detach.signal,
    );
    await until(
      () => out.length,
      (n) => n > 0,
    );
    detach.abort();
    await expect(following).resolves.toMatchObject({ status: 'running' });
    // Destroy hooks of cleared timers run after their turn, later on a busy machine: a leaked 60 s timer stays.
    for (let turn = 0; turn < 100 && liveTimers.size > 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    hook.disable();
    // A 60 s poll timer left running would keep `npm run campaign` alive after Ctrl-C.
    expect(liveTimers.size).toBe(0);
  });

  test('follow throws how the workflow closed when it did not complete', async () => {
    const failure = new WorkflowFailedError(
      'failed',
      ApplicationFailure.create({ message: 'boom', type: 'X' }),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    const handle = {
      result: () => Promise.reject(failure),
      query: async () => view(),
    } as unknown as WorkflowHandle;
    const client = { withDeadline: <R>(_d: number | Date, fn: () => Promise<R>) => fn() };
    await expect(
      follow(client as never, handle, 100, { out: () => undefined, err: () => undefined, tty: false }),
    ).rejects.toBe(failure);
  });
});
