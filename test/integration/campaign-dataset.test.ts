/**
 * The dataset activities over a campaign folder made as the other parts make it (plan.jsonl, transcripts by the
 * real exportTranscript): checkpoints, every export read back by a reader this project did not write (hyparquet,
 * JSON.parse per line, the `yaml` package), row counts against the manifest, byte-identical retries, a crash in
 * the middle of a checkpoint, and confinement to OUTPUT_DIR.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  makeDatasetActivities,
  type CheckpointInput,
  type DatasetDeps,
} from '../../src/campaign/activities/dataset';
import type { CampaignManifest } from '../../src/contracts/campaign';
import { createOllamaClient } from '../../src/models/ollama-client';
import { FAKE_MODEL_DIGEST, FakeOllama } from '../fixtures/ollama-server';
import {
  buildCampaignFolder,
  CLOUD_MAX_TOKENS,
  costOf,
  fixtureTurns,
  PRICES,
  summarize,
  type CampaignFixture,
  type FixtureItem,
} from '../helpers/campaign-folder';
import { repoRoot } from '../helpers/tools';
import { readViewerIndex } from '../helpers/viewer-files';
import { until } from '../helpers/wait';
import { LocalStore } from '../../src/output/local-store';

const ollama = new FakeOllama();
let base: string;

beforeAll(async () => {
  await ollama.start();
  base = await mkdtemp(path.join(tmpdir(), 'campaign-dataset-'));
});

afterAll(async () => {
  await ollama.stop();
  await rm(base, { recursive: true, force: true });
});

let dirs = 0;
async function freshDir(): Promise<string> {
  const dir = path.join(base, `out-${++dirs}`);
  await mkdir(dir);
  return dir;
}

function deps(outputDir: string, extra: Partial<DatasetDeps> = {}): DatasetDeps {
  return {
    store: new LocalStore(outputDir),
    ollama: createOllamaClient(ollama.url),
    temporalNamespace: 'default',
    awsRegion: 'eu-west-1',
    localModelDefault: 'gemma3:270m',
    maxTokensDefault: { cloud: 256, local: 64 },
    prices: PRICES,
    ...extra,
  };
}

/** Runs an activity as Temporal would, quietly. */
function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, ...args);
}

function checkpointInput(fixture: CampaignFixture, upTo: number, final: boolean): CheckpointInput {
  const outcomes = fixture.outcomes.slice(0, upTo);
  return {
    campaignId: fixture.campaignId,
    workflowId: `campaign-${fixture.campaignId}`,
    spec: fixture.spec,
    status: final ? 'completed' : 'running',
    ...summarize(outcomes, fixture.plan.length),
    startedAt: fixture.startedAt,
    ...(final ? { endedAt: fixture.endedAt } : {}),
    outcomes,
    at: outcomes.at(-1)?.endedAt ?? fixture.startedAt,
  };
}

const manifestAt = (folder: string) =>
  JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;

const jsonLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const { parquetReadObjects } = await import('hyparquet');
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file: buffer });
}

/** Every file under `folder` (recursively) and its bytes. */
function snapshot(folder: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files.set(path.relative(folder, file), readFileSync(file));
    }
  }
  return files;
}

const ITEMS: FixtureItem[] = [
  { turns: 3 },
  { turns: 3, truncatedAt: 2 },
  { turns: 2, endReason: 'repetition', repeating: true },
  { turns: 0, state: 'failed' },
  { turns: 1, endReason: 'stop_phrase' },
  { turns: 3 },
];

describe('checkpointCampaign and writeCampaignDataset', () => {
  let dir: string;
  let fixture: CampaignFixture;
  let folder: string;
  let activities: ReturnType<typeof makeDatasetActivities>;
  const manifest = () =>
    JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;

  beforeAll(async () => {
    dir = await freshDir();
    fixture = await buildCampaignFolder(dir, 'fixture-1', ITEMS);
    folder = path.join(dir, 'campaigns', 'fixture-1');
    activities = makeDatasetActivities(deps(dir));
  });

  it('writes a manifest at the first checkpoint: every planned item, the finished ones with outcome and quality', async () => {
    const input = { ...checkpointInput(fixture, 2, false), runningItems: [fixture.plan[2]!.itemHash] };
    const out = await run(activities.checkpointCampaign, input);
    expect(out).toEqual({ manifestPath: path.join(folder, 'manifest.json'), items: ITEMS.length });
    const m = manifest();
    expect(m.items.map((i) => i.state)).toEqual([
      'completed',
      'completed',
      'running',
      'pending',
      'pending',
      'pending',
    ]);
    expect(m.items.map((i) => i.itemHash)).toEqual(fixture.plan.map((i) => i.itemHash));
    expect(m.items[1]!.quality).toMatchObject({
      truncatedReplies: 1,
      emptyReplies: 0,
      endReason: 'max_turns',
    });
    expect(m.items[0]!.quality!.truncatedReplies).toBe(0);
    expect(m.items[0]!.sampling).toEqual({
      cloud: { model: 'fake-cloud', maxTokens: CLOUD_MAX_TOKENS },
      local: { model: 'gemma3:270m', temperature: 0.7, maxTokens: 24 },
    });
    expect(m.updatedAt).toBe(fixture.outcomes[1]!.endedAt);
    expect(m.endedAt).toBeUndefined();
    expect(m.spec).toEqual(fixture.spec);
    // A report from the manifest alone meanwhile; the latencies wait for the transcripts, read at the export.
    const report = readFileSync(path.join(folder, 'report.html'), 'utf8');
    expect(report).toContain(`<span data-figure="count-completed">2</span>`);
    expect(report).toContain('shown once the dataset is written');
  });

  it('records provenance: the Ollama digest and details, the cloud region, the code and the namespace', () => {
    const { provenance } = manifest();
    expect(provenance.models).toEqual([
      { side: 'cloud', model: 'fake-cloud', region: 'eu-west-1' },
      {
        side: 'local',
        model: 'gemma3:270m',
        digest: FAKE_MODEL_DIGEST,
        details: expect.objectContaining({ family: 'gemma3', parameter_size: '268.10M' }) as unknown,
      },
    ]);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(provenance.packageVersion).toBe(pkg.version);
    expect(provenance.gitCommit).toBe(
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot }).toString().trim(),
    );
    expect(provenance.temporalNamespace).toBe('default');
    const plan = JSON.parse(readFileSync(path.join(folder, 'plan.json'), 'utf8')) as { specHash: string };
    expect(provenance.specHash).toBe(plan.specHash);
  });

  it('merges later outcomes by item, and a retried checkpoint writes the same bytes', async () => {
    const input = checkpointInput(fixture, ITEMS.length, true);
    await run(activities.checkpointCampaign, input);
    const first = readFileSync(path.join(folder, 'manifest.json'));
    await run(activities.checkpointCampaign, input);
    expect(readFileSync(path.join(folder, 'manifest.json')).equals(first)).toBe(true);

    const m = manifest();
    expect(m.status).toBe('completed');
    expect(m.endedAt).toBe(fixture.endedAt);
    expect(m.items.map((i) => i.state)).toEqual([
      'completed',
      'completed',
      'completed',
      'failed',
      'completed',
      'completed',
    ]);
    expect(m.items[3]!.outcome!.error).toEqual({ type: 'ChildWorkflowFailure', message: 'item 3 failed' });
    expect(m.items[3]!.quality).toBeUndefined();
    expect(m.items[2]!.quality).toMatchObject({ maxRepetition: 1, endReason: 'repetition' });
    expect(m.counts).toEqual({ pending: 0, running: 0, completed: 5, failed: 1, skipped: 0 });
  });

  it('counts tokens and cost per model, and flags the models without a price', () => {
    const m = manifest();
    const completed = ITEMS.flatMap((spec, i) =>
      spec.state === 'failed' ? [] : [fixtureTurns(i, fixture.plan[i]!.seed.query, spec)],
    );
    const cloudOut = completed.flat().reduce((s, t) => s + t.cloudUsage.outputTokens, 0);
    const cost = completed.reduce((s, turns) => s + costOf(turns), 0);
    expect(m.byModel['cloud:fake-cloud']).toEqual({
      side: 'cloud',
      endpoint: 'cloud',
      model: 'fake-cloud',
      inputTokens: completed.flat().reduce((s, t) => s + t.cloudUsage.inputTokens, 0),
      outputTokens: cloudOut,
      costUsd: Math.round(cost * 1e6) / 1e6,
      priced: true,
    });
    expect(m.byModel['local:gemma3:270m']).toMatchObject({ side: 'local', costUsd: 0, priced: false });
  });

  describe('the dataset', () => {
    let files: string[];
    let m: CampaignManifest;
    const withTurns = () => m.items.filter((i) => (i.outcome?.turns ?? 0) > 0);

    beforeAll(async () => {
      files = (await run(activities.writeCampaignDataset, { campaignId: 'fixture-1' })).files;
      m = manifest();
    });

    it('lists the files it wrote', () => {
      expect(files).toEqual([
        'README.md',
        'conversations.jsonl',
        'conversations.parquet',
        'messages.parquet',
        'perspectives/cloud.jsonl',
        'perspectives/cloud.parquet',
        'perspectives/local.jsonl',
        'perspectives/local.parquet',
        'report.html',
        'sharegpt.jsonl',
        'sharegpt.parquet',
      ]);
      for (const f of files) expect(existsSync(path.join(folder, f))).toBe(true);
      expect(readFileSync(path.join(folder, 'report.html'), 'utf8')).toContain(
        'data-figure="latency-cloud-p50"',
      );
      // The transcripts stay where the conversation export wrote them.
      for (const item of withTurns())
        expect(existsSync(path.join(folder, 'conversations', `${item.itemHash}.csv`))).toBe(true);
    });

    it('conversations.jsonl: one conversation per line in the messages format, with its metadata', () => {
      const lines = jsonLines(path.join(folder, 'conversations.jsonl'));
      expect(lines).toHaveLength(withTurns().length);
      expect(lines.map((l) => l.id)).toEqual(withTurns().map((i) => i.conversationId));
      const first = lines[0] as {
        messages: { role: string; content: string }[];
        metadata: Record<string, unknown>;
      };
      const turns = fixtureTurns(0, fixture.plan[0]!.seed.query, ITEMS[0]!);
      expect(first.messages).toEqual([
        { role: 'system', content: 'Answer briefly.' },
        ...turns.flatMap((t) => [
          { role: 'user', content: t.query },
          { role: 'assistant', content: t.cloudResponse },
        ]),
      ]);
      expect(first.messages[1]!.content).toBe(fixture.plan[0]!.seed.query);
      expect(first.metadata).toMatchObject({
        campaign_id: 'fixture-1',
        item_hash: fixture.plan[0]!.itemHash,
        seed_id: 'seed-0',
        end_reason: 'max_turns',
        turns: 3,
        last_question: turns.at(-1)!.localResponse,
        cloud: {
          model: 'fake-cloud',
          max_tokens: CLOUD_MAX_TOKENS,
          system_prompt: 'Answer briefly.',
          temperature: null,
        },
        local: { model: 'gemma3:270m', temperature: 0.7, max_tokens: 24 },
        quality: { empty_replies: 0, truncated_replies: 0 },
        judge: null,
      });
      expect(
        (lines[1]!.metadata as { quality: { truncated_replies: number } }).quality.truncated_replies,
      ).toBe(1);
    });

    it('sharegpt.jsonl and the perspectives hold the same conversations, line for line, with the roles of each side', () => {
      const messages = jsonLines(path.join(folder, 'conversations.jsonl')) as {
        messages: { role: string; content: string }[];
      }[];
      const sharegpt = jsonLines(path.join(folder, 'sharegpt.jsonl')) as {
        id: string;
        system: string;
        conversations: { from: string; value: string }[];
      }[];
      const cloud = jsonLines(path.join(folder, 'perspectives', 'cloud.jsonl'));
      const local = jsonLines(path.join(folder, 'perspectives', 'local.jsonl')) as {
        messages: { role: string; content: string }[];
      }[];
      expect(sharegpt).toHaveLength(messages.length);
      expect(cloud).toEqual(messages.map((l) => ({ messages: l.messages })));
      expect(sharegpt[0]!.system).toBe('Answer briefly.');
      expect(sharegpt[0]!.conversations).toEqual(
        messages[0]!.messages
          .filter((x) => x.role !== 'system')
          .map((x) => ({ from: x.role === 'user' ? 'human' : 'gpt', value: x.content })),
      );
      const turns = fixtureTurns(0, fixture.plan[0]!.seed.query, ITEMS[0]!);
      expect(local[0]!.messages).toEqual(
        turns.flatMap((t, i) => [
          {
            role: 'user',
            content: i === 0 ? `Question: ${t.query}\nAnswer: ${t.cloudResponse}` : t.cloudResponse,
          },
          { role: 'assistant', content: t.localResponse },
        ]),
      );
      expect(local).toHaveLength(messages.length);
    });

    it('conversations.parquet reads back with hyparquet: the same rows, messages as structs', async () => {
      const rows = await readParquet(path.join(folder, 'conversations.parquet'));
      const lines = jsonLines(path.join(folder, 'conversations.jsonl')) as {
        id: string;
        messages: unknown[];
        metadata: { cost_usd: number; turns: number };
      }[];
      expect(rows).toHaveLength(withTurns().length);
      expect(rows.map((r) => r.id)).toEqual(lines.map((l) => l.id));
      expect(rows.map((r) => r.messages)).toEqual(lines.map((l) => l.messages));
      expect(rows.map((r) => r.cost_usd)).toEqual(lines.map((l) => l.metadata.cost_usd));
      expect(rows.map((r) => r.turns)).toEqual(withTurns().map((i) => i.outcome!.turns));
      expect(rows[0]).toMatchObject({
        campaign_id: 'fixture-1',
        grid: '{}',
        seed_metadata: null,
        cloud_model: 'fake-cloud',
        local_temperature: 0.7,
        cloud_temperature: null,
        judge_score: null,
        truncated_replies: 0,
      });
    });

    it('README.md is a dataset card whose YAML header the yaml package reads, pointing at the files', () => {
      const text = readFileSync(path.join(folder, 'README.md'), 'utf8');
      const header = /^---\n([\s\S]*?)\n---\n/.exec(text);
      expect(header).not.toBeNull();
      const card = parseYaml(header![1]!) as {
        license: unknown;
        size_categories: string[];
        task_categories: string[];
        tags: string[];
        models: string[];
        configs: { config_name: string; data_files: { split: string; path: string }[] }[];
      };
      expect(card).toHaveProperty('license', null);
      expect(card.size_categories).toEqual(['n<1K']);
      expect(card.task_categories).toEqual(['text-generation']);
      expect(card.tags).toContain('synthetic');
      expect(card.models).toEqual(['fake-cloud', 'gemma3:270m']);
      expect(card.configs.map((c) => c.config_name)).toEqual([
        'default',
        'messages',
        'sharegpt',
        'cloud_perspective',
        'local_perspective',
      ]);
      for (const config of card.configs) {
        expect(config.data_files.map((f) => f.split)).toEqual(['train']);
        expect(config.data_files[0]!.path).toMatch(/\.parquet$/);
        expect(existsSync(path.join(folder, config.data_files[0]!.path))).toBe(true);
      }
      expect(text).toContain(`${withTurns().length} multi-turn conversations`);
    });

    it('a retried export writes the same bytes', async () => {
      const before = snapshot(folder);
      await run(activities.writeCampaignDataset, { campaignId: 'fixture-1' });
      const after = snapshot(folder);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [file, bytes] of before)
        expect({ file, same: after.get(file)!.equals(bytes) }).toEqual({ file, same: true });
    });

    it('no file of the dataset names a folder of the machine that wrote it', () => {
      // The conversations' own CSVs hold no paths; every dataset file is scanned (Parquet as bytes).
      const machine = [dir, realpathSync(dir), repoRoot, tmpdir(), homedir()];
      for (const [file, bytes] of snapshot(folder)) {
        const text = bytes.toString('latin1');
        for (const folderName of machine) {
          expect({ file, names: text.includes(folderName) }).toEqual({ file, names: false });
        }
      }
      expect(manifest().items[0]!.outcome).toMatchObject({
        csvPath: `campaigns/fixture-1/conversations/${fixture.plan[0]!.itemHash}.csv`,
        jsonlPath: `campaigns/fixture-1/conversations/${fixture.plan[0]!.itemHash}.jsonl`,
      });
      // The report's table links each transcript relative to the page.
      expect(readViewerIndex(folder).rows[0]).toMatchObject({
        csv: `conversations/${fixture.plan[0]!.itemHash}.csv`,
        jsonl: `conversations/${fixture.plan[0]!.itemHash}.jsonl`,
      });
    });
  });
});

describe('shards', () => {
  it('splits every file past shardRows rows, names the shards as the Hub does, and removes them when no longer needed', async () => {
    const dir = await freshDir();
    const items = Array.from({ length: 5 }, (): FixtureItem => ({ turns: 2 }));
    const fixture = await buildCampaignFolder(dir, 'sharded', items);
    const folder = path.join(dir, 'campaigns', 'sharded');
    const sharded = makeDatasetActivities(deps(dir, { shardRows: 2 }));
    await run(sharded.checkpointCampaign, checkpointInput(fixture, 5, true));
    const { files } = await run(sharded.writeCampaignDataset, { campaignId: 'sharded' });
    const names = (stem: string, ext: string) => [0, 1, 2].map((i) => `${stem}-0000${i}-of-00003.${ext}`);
    expect(files).toEqual(
      [
        'README.md',
        'report.html',
        ...names('conversations', 'jsonl'),
        ...names('conversations', 'parquet'),
        ...names('messages', 'parquet'),
        ...names('sharegpt', 'jsonl'),
        ...names('sharegpt', 'parquet'),
        ...['cloud', 'local'].flatMap((side) =>
          [...names(side, 'jsonl'), ...names(side, 'parquet')].map((n) => `perspectives/${n}`),
        ),
      ].sort(),
    );
    const jsonl = names('conversations', 'jsonl').flatMap((n) => jsonLines(path.join(folder, n)));
    expect(jsonl.map((l) => l.id)).toEqual(fixture.outcomes.map((o) => o.conversationId));
    const parquet = (
      await Promise.all(names('conversations', 'parquet').map((n) => readParquet(path.join(folder, n))))
    ).flat();
    expect(parquet.map((r) => r.id)).toEqual(fixture.outcomes.map((o) => o.conversationId));
    const header = parseYaml(
      /^---\n([\s\S]*?)\n---\n/.exec(readFileSync(path.join(folder, 'README.md'), 'utf8'))![1]!,
    ) as {
      configs: { data_files: { path: string }[] }[];
    };
    expect(header.configs[0]!.data_files[0]!.path).toBe('conversations-*.parquet');

    const whole = makeDatasetActivities(deps(dir));
    await run(whole.writeCampaignDataset, { campaignId: 'sharded' });
    const left = readdirSync(folder).filter((n) => /^(conversations|messages|sharegpt)/.test(n));
    expect(left.sort()).toEqual([
      'conversations',
      'conversations.jsonl',
      'conversations.parquet',
      'messages.parquet',
      'sharegpt.jsonl',
      'sharegpt.parquet',
    ]);
    expect(readdirSync(path.join(folder, 'perspectives')).sort()).toEqual([
      'cloud.jsonl',
      'cloud.parquet',
      'local.jsonl',
      'local.parquet',
    ]);
  });
});

describe('near-duplicates', () => {
  it('marks a conversation said again as nearDuplicateOf the first; dedup: true leaves it out of the exports', async () => {
    const dir = await freshDir();
    const items = Array.from({ length: 4 }, (): FixtureItem => ({ turns: 3 }));
    const fixture = await buildCampaignFolder(dir, 'twins', items);
    const folder = path.join(dir, 'campaigns', 'twins');
    const transcript = (i: number) =>
      path.join(folder, 'conversations', `${fixture.plan[i]!.itemHash}.jsonl`);
    // Item 3 says what item 1 said, word for word.
    await writeFile(transcript(3), readFileSync(transcript(1)));
    const activities = makeDatasetActivities(deps(dir));
    const datasetOf = async (dedup: boolean) => {
      const input = checkpointInput(fixture, items.length, true);
      await run(activities.checkpointCampaign, { ...input, spec: { ...input.spec, dedup } });
      await run(activities.writeCampaignDataset, { campaignId: 'twins' });
      return {
        manifest: JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest,
        rows: jsonLines(path.join(folder, 'conversations.jsonl')),
        card: readFileSync(path.join(folder, 'README.md'), 'utf8'),
        viewer: readViewerIndex(folder),
      };
    };
    const [first, twin] = [fixture.plan[1]!.itemHash, fixture.plan[3]!.itemHash];

    const kept = await datasetOf(false);
    expect(kept.manifest.items.map((i) => i.nearDuplicateOf)).toEqual([
      undefined,
      undefined,
      undefined,
      first,
    ]);
    expect(kept.rows).toHaveLength(4);
    expect(kept.card).toContain('1 conversations are near-duplicates of an earlier one');
    expect(kept.card).toContain('kept in the files here');
    expect(kept.viewer.rows[3]).toMatchObject({
      nearDuplicateOf: first,
      flags: expect.arrayContaining(['near-duplicate']) as unknown,
    });

    const deduped = await datasetOf(true);
    expect(deduped.manifest.items.find((i) => i.itemHash === twin)?.nearDuplicateOf).toBe(first);
    expect(deduped.rows.map((r) => (r.metadata as { item_hash: string }).item_hash)).not.toContain(twin);
    expect(deduped.rows).toHaveLength(3);
    expect(deduped.card).toContain('left out of the files here (`dedup: true`)');
  });
});

describe('curate', () => {
  it('keeps the conversations no rule drops as train, and the others as dropped with their rules', async () => {
    const dir = await freshDir();
    const items: FixtureItem[] = [
      { turns: 3 },
      { turns: 1 },
      { turns: 3, repeating: true },
      { turns: 3, truncatedAt: 2 },
      { turns: 3 },
    ];
    const fixture = await buildCampaignFolder(dir, 'curated', items);
    const folder = path.join(dir, 'campaigns', 'curated');
    const activities = makeDatasetActivities(deps(dir));
    const input = checkpointInput(fixture, items.length, true);
    // The fixture's answers follow one template (consecutive ones share most trigrams); item 2 says one answer again.
    const curate = { minTurns: 2, maxConsecutiveOverlap: 0.9, dropTruncated: true };
    await run(activities.checkpointCampaign, { ...input, spec: { ...input.spec, curate } });
    const { files } = await run(activities.writeCampaignDataset, { campaignId: 'curated' });
    expect(files).toEqual(expect.arrayContaining(['dropped.parquet', 'dropped.jsonl']));

    const m = manifestAt(folder);
    const hash = (i: number) => fixture.plan[i]!.itemHash;
    expect(m.items.map((i) => i.droppedBy)).toEqual([
      undefined,
      ['minTurns'],
      ['maxConsecutiveOverlap'],
      ['dropTruncated'],
      undefined,
    ]);
    expect(m.items[2]!.quality).toMatchObject({ turnOverlap: { cloud: 1 }, collapsed: true });
    expect(m.curation).toEqual({
      candidates: 5,
      kept: 2,
      dropped: 3,
      byRule: { minTurns: 1, maxConsecutiveOverlap: 1, dropTruncated: 1 },
    });
    const train = jsonLines(path.join(folder, 'conversations.jsonl'));
    expect(train.map((r) => (r.metadata as { item_hash: string }).item_hash)).toEqual([hash(0), hash(4)]);
    expect((await readParquet(path.join(folder, 'conversations.parquet'))).map((r) => r.dropped_by)).toEqual([
      [],
      [],
    ]);
    const dropped = await readParquet(path.join(folder, 'dropped.parquet'));
    expect(dropped.map((r) => [r.item_hash, r.dropped_by])).toEqual([
      [hash(1), ['minTurns']],
      [hash(2), ['maxConsecutiveOverlap']],
      [hash(3), ['dropTruncated']],
    ]);
    expect(jsonLines(path.join(folder, 'dropped.jsonl')).map((r) => r.dropped_by)).toEqual([
      ['minTurns'],
      ['maxConsecutiveOverlap'],
      ['dropTruncated'],
    ]);

    const card = readFileSync(path.join(folder, 'README.md'), 'utf8');
    const header = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as {
      configs: { config_name: string; data_files: { split: string; path: string }[] }[];
    };
    expect(header.configs[0]!.data_files).toEqual([
      { split: 'train', path: 'conversations.parquet' },
      { split: 'dropped', path: 'dropped.parquet' },
    ]);
    expect(card).toContain('Kept 2 of 5 conversations (40.0%)');
    expect(card).toContain('| maxConsecutiveOverlap | 1 |');
    const report = readFileSync(path.join(folder, 'report.html'), 'utf8');
    expect(report).toContain('<span data-figure="curation-kept-share">40.0%</span>');
    expect(report).toContain('<tr data-rule="dropTruncated"><td>dropTruncated</td><td>1</td></tr>');

    // The diversity of the whole dataset, every conversation counted, in the manifest, card and report.
    const collapsed = m.items.filter((i) => i.quality?.collapsed).length;
    expect(m.items[1]!.quality!.collapsed).toBe(false);
    expect(m.diversity!.dataset).toMatchObject({ conversations: 5, collapseRate: collapsed / 5 });
    expect(m.diversity!.seeds.map((s) => s.seedId)).toEqual(fixture.plan.map((i) => i.seed.id));
    expect(card).toContain('## Diversity');
    expect(report).toContain('<tr data-group="dataset" data-key="all">');

    // Without curate, a rerun puts every conversation back in train and removes the dropped files.
    await run(activities.checkpointCampaign, input);
    await run(activities.writeCampaignDataset, { campaignId: 'curated' });
    expect(jsonLines(path.join(folder, 'conversations.jsonl'))).toHaveLength(5);
    expect(existsSync(path.join(folder, 'dropped.parquet'))).toBe(false);
    expect(manifestAt(folder).curation).toBeUndefined();
    expect(manifestAt(folder).items.every((i) => i.droppedBy === undefined)).toBe(true);
  });
});

describe('confinement', () => {
  it('does not write through a symlinked campaigns folder', async () => {
    const dir = await freshDir();
    const elsewhere = await freshDir();
    const fixture = await buildCampaignFolder(elsewhere, 'linked', [{ turns: 1 }]);
    await symlink(path.join(elsewhere, 'campaigns'), path.join(dir, 'campaigns'));
    const activities = makeDatasetActivities(deps(dir));
    await expect(run(activities.checkpointCampaign, checkpointInput(fixture, 1, true))).rejects.toMatchObject(
      {
        type: 'InvalidOutputPath',
        nonRetryable: true,
      },
    );
    await expect(run(activities.writeCampaignDataset, { campaignId: 'linked' })).rejects.toMatchObject({
      type: 'InvalidOutputPath',
    });
    expect(readdirSync(path.join(elsewhere, 'campaigns', 'linked')).sort()).toEqual([
      'conversations',
      'plan.json',
      'plan.jsonl',
    ]);
  });

  it('does not read a transcript outside OUTPUT_DIR, nor take a campaign id that is a path', async () => {
    const dir = await freshDir();
    const fixture = await buildCampaignFolder(dir, 'outside', [{ turns: 1 }]);
    const secret = path.join(base, 'secret.jsonl');
    await writeFile(secret, readFileSync(fixture.outcomes[0]!.jsonlPath!));
    const input = checkpointInput(fixture, 1, true);
    input.outcomes = [{ ...input.outcomes[0]!, jsonlPath: secret }];
    const activities = makeDatasetActivities(deps(dir));
    await run(activities.checkpointCampaign, input);
    const manifest = JSON.parse(
      readFileSync(path.join(dir, 'campaigns', 'outside', 'manifest.json'), 'utf8'),
    ) as CampaignManifest;
    // Not read: no quality flags from it.
    expect(manifest.items[0]!.quality).toBeUndefined();
    await expect(run(activities.writeCampaignDataset, { campaignId: 'outside' })).rejects.toMatchObject({
      type: 'CampaignTranscriptsMissing',
      nonRetryable: false,
      message: expect.stringContaining(secret),
    });
    await expect(run(activities.writeCampaignDataset, { campaignId: '../outside' })).rejects.toMatchObject({
      type: 'InvalidOutputPath',
      nonRetryable: true,
    });
    expect(existsSync(path.join(dir, 'campaigns', 'outside', 'conversations.jsonl'))).toBe(false);
  });

  it('asks for the plan before a checkpoint and for the manifest before an export (non-retryable)', async () => {
    const dir = await freshDir();
    const activities = makeDatasetActivities(deps(dir));
    const fixture = await buildCampaignFolder(await freshDir(), 'unplanned', [{ turns: 1 }]);
    await expect(run(activities.checkpointCampaign, checkpointInput(fixture, 1, true))).rejects.toMatchObject(
      {
        type: 'CampaignFilesMissing',
        nonRetryable: true,
      },
    );
    await expect(run(activities.writeCampaignDataset, { campaignId: 'unplanned' })).rejects.toMatchObject({
      type: 'CampaignFilesMissing',
    });
  });
});

describe('a crash during a checkpoint', () => {
  it('leaves the manifest of the last checkpoint, or of the one being written, never a partial file', async () => {
    const dir = await freshDir();
    const fixture = await buildCampaignFolder(dir, 'crashing', ITEMS);
    const manifestFile = path.join(dir, 'campaigns', 'crashing', 'manifest.json');
    const activities = makeDatasetActivities(deps(dir));
    // The child alternates an early and the final checkpoint's input. Outcomes merge (an item once finished stays
    // so), so after the first round it alternates between two manifests: this process writes both first.
    const inputs = [checkpointInput(fixture, 2, false), checkpointInput(fixture, ITEMS.length, true)];
    const expected: Buffer[] = [];
    for (const input of [inputs[0]!, inputs[1]!, inputs[0]!]) {
      await run(activities.checkpointCampaign, input);
      expected.push(readFileSync(manifestFile));
    }
    expected.shift();
    expect(expected[0]!.equals(expected[1]!)).toBe(false);
    const inputsFile = path.join(base, 'crash-inputs.json');
    // The child makes its own store of `dir`.
    await writeFile(inputsFile, JSON.stringify({ dir, inputs, deps: { ...deps(dir), ollama: ollama.url } }));

    for (let round = 0; round < 3; round++) {
      // tsx as a loader, not its CLI (which runs the script in a second process the kill would miss).
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'test', 'fixtures', 'checkpoint-loop.ts'), inputsFile],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let written = 0;
      child.stdout.on(
        'data',
        (chunk: Buffer) => (written += chunk.toString().split('checkpoint\n').length - 1),
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // Killed while checkpoints follow one another: at some point in one of them.
      await until(
        () => written,
        (n) => n >= 3 + round * 5,
        { timeoutMs: 120_000, what: 'checkpoints in the child' },
      );
      child.kill('SIGKILL');
      await exited;
      const now = await readFile(manifestFile);
      expect(() => JSON.parse(now.toString('utf8')) as unknown).not.toThrow();
      expect(expected.some((e) => e.equals(now))).toBe(true);
    }
  }, 400_000);
});
