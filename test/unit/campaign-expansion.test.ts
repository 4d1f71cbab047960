/** A campaign spec → its items: deterministic order and ids, the grid's cross product, seeds files in INPUT_DIR. */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makePlanActivities } from '../../src/campaign/activities/plan';
import { CampaignFailureType } from '../../src/contracts/campaign';
import { campaignIdFor, canonicalJson, itemHashOf } from '../../src/campaign/identity';
import { campaignSpecSchema } from '../../src/contracts/campaign-spec';
import { validateCampaign } from '../../src/campaign/validate';
import type { CampaignValidation, ValidCampaign } from '../../src/campaign/validate';
import { inputSchemas } from '../../src/contracts/conversation-input';
import { LocalStore } from '../../src/output/local-store';

let inputDir: string;
let outputDir: string;
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'campaign-expansion-'));
  inputDir = path.join(scratch, 'input');
  outputDir = path.join(scratch, 'output');
  await mkdir(inputDir);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Computed once from the spec in 'ids are stable across runs'. */
const FIXED_CAMPAIGN_ID = 'f3fe4691b368a3d5';
const FIXED_ITEM_HASH = 'aa242ddf13db';

const validate = (spec: unknown) => validateCampaign(spec, { inputDir });

function valid(result: CampaignValidation): ValidCampaign {
  if (!result.ok) throw new Error(`expected a valid spec, got ${JSON.stringify(result.issues)}`);
  return result;
}

function issuePaths(result: CampaignValidation): string[] {
  if (result.ok) throw new Error('expected the spec to be refused');
  return result.issues.map((i) => i.path);
}

const spec = {
  name: 'grid demo',
  seeds: [
    'What is a durable workflow?',
    { query: 'Why is the sky blue?', id: 'sky', metadata: { topic: 'physics' } },
  ],
  pairs: [{ cloud: { model: 'model-a', temperature: 0.5 } }, { local: { systemPrompt: 'You are terse.' } }],
  grid: {
    cloud: { temperature: [0.1, 0.9] },
    local: { systemPrompt: ['Ask why.', 'Ask how.', 'Ask when.'] },
  },
  repeats: 2,
  maxTurns: 3,
  stopPhrases: ['goodbye'],
};

describe('expansion', () => {
  test('seeds × pairs × grid points × repeats, seed-major, repeat fastest', async () => {
    const { items, campaignId } = valid(await validate(spec));
    expect(items).toHaveLength(2 * 2 * (2 * 3) * 2);
    expect(items.map((i) => i.index)).toEqual(items.map((_, n) => n));
    expect(items.slice(0, 3).map((i) => [i.seed.id, i.pairIndex, i.grid, i.repeat])).toEqual([
      ['seed-0', 0, { 'cloud.temperature': 0.1, 'local.systemPrompt': 'Ask why.' }, 0],
      ['seed-0', 0, { 'cloud.temperature': 0.1, 'local.systemPrompt': 'Ask why.' }, 1],
      ['seed-0', 0, { 'cloud.temperature': 0.1, 'local.systemPrompt': 'Ask how.' }, 0],
    ]);
    expect(items[24]!.seed).toEqual({
      id: 'sky',
      query: 'Why is the sky blue?',
      metadata: { topic: 'physics' },
    });
    expect(new Set(items.map((i) => i.itemHash)).size).toBe(items.length);
    expect(campaignId).toMatch(/^[0-9a-f]{16}$/);
  });

  test("grid values apply to each side over the pair's own; shared options and ids are set on every item", async () => {
    const { items, campaignId } = valid(await validate(spec));
    const item = items.find((i) => i.pairIndex === 0 && i.grid['cloud.temperature'] === 0.9)!;
    expect(item.conversation).toEqual({
      initialQuery: item.seed.query,
      conversationId: `campaign-${campaignId}-${item.itemHash}`,
      outputFile: `campaigns/${campaignId}/conversations/${item.itemHash}.csv`,
      maxTurns: 3,
      stopPhrases: ['goodbye'],
      cloud: { model: 'model-a', temperature: 0.9 },
      local: { systemPrompt: item.grid['local.systemPrompt'] },
    });
    for (const i of items)
      expect(inputSchemas().conversationInput.safeParse(i.conversation).success).toBe(true);
  });

  test("every conversation option but a conversation's own is a shared option (maxTotalTokens too)", async () => {
    const shared = { maxTotalTokens: 500, timeoutMinutes: 2, delayBetweenTurnsMs: 10, repetitionWindow: 4 };
    const { items } = valid(await validate({ seeds: ['a'], pairs: [{}], ...shared }));
    expect(items[0]!.conversation).toMatchObject(shared);
  });

  test('repeats default to 1; no grid is one grid point', async () => {
    const { items } = valid(await validate({ seeds: ['a', 'b', 'c'], pairs: [{}] }));
    expect(items.map((i) => [i.seed.id, i.repeat, i.grid])).toEqual([
      ['seed-0', 0, {}],
      ['seed-1', 0, {}],
      ['seed-2', 0, {}],
    ]);
    expect(items[0]!.conversation).not.toHaveProperty('cloud');
  });

  test('the same spec gives the same items, whatever the order of its keys', async () => {
    const first = valid(await validate(spec));
    const reordered = JSON.parse(canonicalJson(spec).replace('"name":"grid demo",', '')) as Record<
      string,
      unknown
    >;
    const shuffled = Object.fromEntries(Object.entries({ ...reordered, name: 'grid demo' }).reverse());
    const second = valid(await validate(shuffled));
    expect(second.campaignId).toBe(first.campaignId);
    expect(second.items).toEqual(first.items);
  });

  test('ids are stable across runs: fixed values for a fixed spec', async () => {
    const fixed = valid(
      await validate({ seeds: ['Hello there'], pairs: [{ cloud: { temperature: 0.3 } }], maxTurns: 2 }),
    );
    // Computed once; a change here means every campaign's ids changed (resubmissions would rerun items).
    expect(fixed.campaignId).toBe(FIXED_CAMPAIGN_ID);
    expect(fixed.items.map((i) => i.itemHash)).toEqual([FIXED_ITEM_HASH]);
    expect(itemHashOf({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(itemHashOf({ a: [1, { c: 3, d: 2 }], b: 1 }));
  });

  test('an item keeps its hash when other seeds, pairs or a campaign id are added', async () => {
    const small = valid(await validate({ campaignId: 'one', seeds: [{ query: 'Q', id: 'q' }], pairs: [{}] }));
    const large = valid(
      await validate({
        campaignId: 'one',
        seeds: ['other', { query: 'Q', id: 'q' }],
        pairs: [{ cloud: { temperature: 1 } }, {}],
      }),
    );
    expect(large.items.map((i) => i.itemHash)).toContain(small.items[0]!.itemHash);
    expect(campaignIdFor(campaignSpecSchema().parse({ campaignId: 'mine', seeds: ['x'], pairs: [{}] }))).toBe(
      'mine',
    );
  });

  test('item count is capped', async () => {
    const seeds = Array.from({ length: 2000 }, (_, i) => `seed ${i}`);
    const result = await validate({ seeds, pairs: [{}, { cloud: { temperature: 1 } }], repeats: 30 });
    expect(issuePaths(result)).toEqual(['(root)']);
    expect(!result.ok && result.issues[0]!.message).toMatch(/120000 items, over the 100000/);
  });

  test.each([
    [
      {
        seeds: [
          { query: 'a', id: 'x' },
          { query: 'b', id: 'x' },
        ],
        pairs: [{}],
      },
      'seeds[1].id',
      /also the id of seeds\[0\]/,
    ],
    [{ seeds: ['a', { query: 'b', id: 'seed-0' }], pairs: [{}] }, 'seeds[1].id', /also the id of seeds\[0\]/],
    [{ seeds: ['same', 'same'], pairs: [{}] }, 'seeds[1]', /same seed as seeds\[0\]/],
    [{ seeds: ['a'], pairs: [{}, {}] }, 'pairs[1]', /same conversations as pairs\[0\]/],
    [
      { seeds: ['a'], pairs: [{}], grid: { cloud: { temperature: [0.1, 0.1] } } },
      'grid.cloud.temperature[1]',
      /repeats/,
    ],
    [
      { seeds: ['a'], pairs: [{}], grid: { cloud: { temperature: [1.5] } } },
      'grid.cloud.temperature[0]',
      /1/,
    ],
    [{ seeds: ['a'], pairs: [{ local: { maxTokens: 8000 } }], maxTurns: 200 }, 'maxTurns', /over the 250000/],
  ])(
    'a spec whose items clash or break a conversation rule is refused at its path (%#)',
    async (bad, where, message) => {
      const result = await validate(bad);
      expect(issuePaths(result)).toContain(where);
      expect(!result.ok && result.issues.find((i) => i.path === where)!.message).toMatch(message);
    },
  );
});

describe('seeds files', () => {
  const withFile = async (name: string, content: string) => {
    await mkdir(path.dirname(path.join(inputDir, name)), { recursive: true });
    await writeFile(path.join(inputDir, name), content);
    return validate({ seedsFile: name, pairs: [{}] });
  };

  test('JSONL: one object a line with a query; id optional; other fields are metadata; blank lines skipped', async () => {
    const { items, seedsFile } = valid(
      await withFile(
        'seeds/topics.jsonl',
        '{"query":"What is Rust?","id":"rust","lang":"en"}\n\n{"query":"Qu\'est-ce que Go ?","metadata":{"lang":"fr"}}\r\n',
      ),
    );
    expect(items.map((i) => i.seed)).toEqual([
      { id: 'rust', query: 'What is Rust?', metadata: { lang: 'en' } },
      { id: 'seed-1', query: "Qu'est-ce que Go ?", metadata: { lang: 'fr' } },
    ]);
    expect(seedsFile).toEqual({
      name: 'seeds/topics.jsonl',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test('CSV: a query column, an optional id column, other columns are metadata (quoted newlines kept)', async () => {
    const { items } = valid(
      await withFile('topics.csv', '\uFEFFid,query,lang\nrust,"What is Rust,\nreally?",en\n,Why Go?,fr\n'),
    );
    expect(items.map((i) => i.seed)).toEqual([
      { id: 'rust', query: 'What is Rust,\nreally?', metadata: { lang: 'en' } },
      { id: 'seed-1', query: 'Why Go?', metadata: { lang: 'fr' } },
    ]);
  });

  test.each([
    ['bad-json.jsonl', '{"query":"ok"}\n{"query": oops}\n', 'seedsFile line 2', /not valid JSON/],
    ['no-query.jsonl', '{"query":"ok"}\n{"id":"x"}\n', 'seedsFile line 2: query', /expected string/],
    ['empty-query.jsonl', '{"query":"   "}\n', 'seedsFile line 1: query', /too small|>=1/i],
    ['array.jsonl', '["a"]\n', 'seedsFile line 1', /JSON object/],
    ['bad-id.jsonl', '{"query":"a","id":"no spaces"}\n', 'seedsFile line 1: id', /letters, digits/],
    [
      'dup-id.jsonl',
      '{"query":"a","id":"x"}\n{"query":"b","id":"x"}\n',
      'seedsFile line 2: id',
      /also the id of seedsFile line 1/,
    ],
    ['empty.jsonl', '\n\n', 'seedsFile', /holds no seeds/],
    ['no-column.csv', 'question,id\nWhy?,a\n', 'seedsFile line 1', /no "query" column/],
    ['ragged.csv', 'query,id\nWhy?,a\nHow?,b,c\n', 'seedsFile line 3', /Invalid Record Length/],
    ['unclosed.csv', 'query\n"Why?\n', 'seedsFile line 2', /Quote Not Closed/],
    ['twice.csv', 'query,query\nWhy?,How?\n', 'seedsFile line 1', /appears twice/],
  ])('%s is refused naming the line and field', async (name, content, where, message) => {
    const result = await withFile(name, content);
    expect(issuePaths(result)).toContain(where);
    expect(!result.ok && result.issues.find((i) => i.path === where)!.message).toMatch(message);
  });

  test('not UTF-8, and a missing file, are refused naming seedsFile', async () => {
    await writeFile(path.join(inputDir, 'latin1.jsonl'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d, 0x0a]));
    const latin1 = await validate({ seedsFile: 'latin1.jsonl', pairs: [{}] });
    expect(!latin1.ok && latin1.issues).toEqual([
      { path: 'seedsFile', message: 'latin1.jsonl is not UTF-8 text' },
    ]);
    const missing = await validate({ seedsFile: 'nope.csv', pairs: [{}] });
    expect(!missing.ok && missing.issues[0]).toEqual({
      path: 'seedsFile',
      message: expect.stringMatching(/does not exist/),
    });
  });

  describe('confinement to INPUT_DIR', () => {
    let outside: string;
    beforeAll(async () => {
      outside = path.join(scratch, 'outside');
      await mkdir(outside);
      await writeFile(path.join(outside, 'secret.jsonl'), '{"query":"secret"}\n');
      await symlink(path.join(outside, 'secret.jsonl'), path.join(inputDir, 'link.jsonl'));
      await symlink(outside, path.join(inputDir, 'linkdir'));
    });

    test.each([
      ['../outside/secret.jsonl', /"\.\." segments/],
      ['/etc/passwd.csv', /relative path/],
      ['seeds/../../outside/secret.jsonl', /"\.\." segments/],
      ['C:/seeds.csv', /relative path/],
      ['seeds\\a.csv', /backslashes/],
      ['.hidden.jsonl', /hidden/],
      ['seeds.txt', /\.jsonl or \.csv/],
      ['link.jsonl', /symbolic link/],
      ['linkdir/secret.jsonl', /linkdir is a symbolic link/],
    ])('%s is refused', async (name, message) => {
      const result = await validate({ seedsFile: name, pairs: [{}] });
      expect(issuePaths(result)).toEqual(['seedsFile']);
      expect(!result.ok && result.issues[0]!.message).toMatch(message);
    });

    test('INPUT_DIR itself may be a symlink', async () => {
      const linkedInput = path.join(scratch, 'input-link');
      await symlink(inputDir, linkedInput);
      await writeFile(path.join(inputDir, 'ok.jsonl'), '{"query":"fine"}\n');
      const result = await validateCampaign(
        { seedsFile: 'ok.jsonl', pairs: [{}] },
        { inputDir: linkedInput },
      );
      expect(valid(result).items).toHaveLength(1);
    });

    test('a missing INPUT_DIR is named', async () => {
      const result = await validateCampaign(
        { seedsFile: 'ok.jsonl', pairs: [{}] },
        { inputDir: path.join(scratch, 'none') },
      );
      expect(!result.ok && result.issues[0]!.message).toMatch(/INPUT_DIR=.* does not exist/);
    });
  });
});

describe('plan activities', () => {
  const activities = () => makePlanActivities({ store: new LocalStore(outputDir), inputDir });
  const planSpec = {
    seeds: ['one', 'two', 'three'],
    pairs: [{}, { cloud: { temperature: 0.2 } }],
    maxTurns: 2,
  };

  test('writes plan.jsonl (one item a line, index order), the same bytes on a retry, and pages it back', async () => {
    const { planCampaign: plan, campaignItems: page } = activities();
    const result = await plan({ campaignId: 'plan-a', workflowId: 'campaign-plan-a', spec: planSpec });
    expect(result).toEqual({ itemCount: 6, specHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const file = path.join(outputDir, 'campaigns/plan-a/plan.jsonl');
    const first = await readFile(file, 'utf8');
    const lines = first
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; conversation: { conversationId: string } });
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines[0]!.conversation.conversationId).toMatch(/^campaign-plan-a-[0-9a-f]{12}$/);

    await rm(path.join(outputDir, 'campaigns/plan-a/plan.json'));
    expect(await plan({ campaignId: 'plan-a', workflowId: 'campaign-plan-a', spec: planSpec })).toEqual(
      result,
    );
    expect(await readFile(file, 'utf8')).toBe(first);

    const pages = [
      await page({ campaignId: 'plan-a', offset: 0, limit: 4 }),
      await page({ campaignId: 'plan-a', offset: 4, limit: 4 }),
    ];
    expect(pages.map((p) => p.map((i) => i.index))).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    expect(await page({ campaignId: 'plan-a', offset: 6, limit: 4 })).toEqual([]);
  });

  test('a written plan is kept when the seeds file changes later; another spec under the same id is refused', async () => {
    const { planCampaign: plan } = activities();
    await writeFile(path.join(inputDir, 'later.jsonl'), '{"query":"first"}\n');
    const fileSpec = { seedsFile: 'later.jsonl', pairs: [{}] };
    const first = await plan({ campaignId: 'plan-b', workflowId: 'campaign-plan-b', spec: fileSpec });
    await writeFile(path.join(inputDir, 'later.jsonl'), '{"query":"first"}\n{"query":"second"}\n');
    expect(await plan({ campaignId: 'plan-b', workflowId: 'campaign-plan-b', spec: fileSpec })).toEqual(
      first,
    );
    expect(first.seedsFile).toEqual({ name: 'later.jsonl', sha256: expect.any(String) });
    const other = plan({ campaignId: 'plan-b', workflowId: 'campaign-plan-b', spec: planSpec });
    await expect(other).rejects.toMatchObject({ type: CampaignFailureType.InvalidSpec, nonRetryable: true });
  });

  test('a spec that cannot be resolved is a non-retryable InvalidCampaignSpec naming the path, and writes nothing', async () => {
    const { planCampaign: plan } = activities();
    const badFile = { seedsFile: 'missing.jsonl', pairs: [{}] };
    await expect(
      plan({ campaignId: 'plan-c', workflowId: 'campaign-plan-c', spec: badFile }),
    ).rejects.toMatchObject({
      type: CampaignFailureType.InvalidSpec,
      nonRetryable: true,
      message: expect.stringMatching(/seedsFile: missing.jsonl does not exist/),
    });
    expect(await readdir(path.join(outputDir, 'campaigns'))).not.toContain('plan-c');
  });

  test('campaignItems before a plan exists is a non-retryable CampaignPlanMissing', async () => {
    await expect(
      activities().campaignItems({ campaignId: 'never', offset: 0, limit: 10 }),
    ).rejects.toMatchObject({
      type: CampaignFailureType.PlanMissing,
      nonRetryable: true,
    });
  });
});
