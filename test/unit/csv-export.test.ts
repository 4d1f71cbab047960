import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CSV_COLUMNS,
  makeExportTranscript,
  resolveOutputPaths,
  transcriptToCsv,
  transcriptToJsonl,
} from '../../src/conversation/activities/transcript-export';
import { outputFileProblem } from '../../src/conversation/definitions';
import type { Turn } from '../../src/conversation/definitions';

const HEADER =
  'timestamp,query,cloud_response,ollama_response,processing_time_ms,conversation_id,turn,cloud_model,' +
  'local_model,cloud_latency_ms,local_latency_ms,cloud_input_tokens,cloud_output_tokens,local_input_tokens,' +
  'local_output_tokens';

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
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'csv-export-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('transcriptToCsv', () => {
  test('starts with the exact header row, the original five columns first', () => {
    expect(CSV_COLUMNS.join(',')).toBe(HEADER);
    expect(transcriptToCsv('c-1', [])).toBe(`${HEADER}\r\n`);
  });

  test('writes one CRLF-terminated row per turn', () => {
    expect(transcriptToCsv('c-1', [turn(1)])).toBe(
      `${HEADER}\r\n` +
        '2025-01-02T03:04:01.000Z,Question 1,Answer 1,Follow-up 1,1001,c-1,1,cloud-model,gemma3:270m,700,300,11,22,33,4\r\n',
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
        '2025-01-02T03:04:01.000Z,"a, b","He said ""hi""","line 1\nline 2",1001,c-1,1,cloud-model,gemma3:270m,700,300,11,22,33,4\r\n' +
        '2025-01-02T03:04:02.000Z,"crlf\r\nend","lone\rcr",Ünïcödé 日本語 🤖👍🏽,1002,c-1,2,cloud-model,gemma3:270m,700,300,11,22,33,4\r\n',
    );
  });
});

describe('transcriptToJsonl', () => {
  test('is one line of OpenAI chat messages with the metadata', () => {
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
    });
  });
});

describe('exportTranscript', () => {
  const input = {
    conversationId: 'conversation-42',
    endReason: 'max_turns' as const,
    turns: [turn(1, { query: 'x,"y"\n' })],
  };

  test('writes the CSV and its JSONL twin atomically, with identical bytes on a re-run', async () => {
    const exportTranscript = makeExportTranscript(dir);
    const first = await exportTranscript(input);
    expect(first).toEqual({
      csvPath: path.join(dir, 'conversation-42.csv'),
      jsonlPath: path.join(dir, 'conversation-42.jsonl'),
    });
    const csv = await readFile(first.csvPath);
    const jsonl = await readFile(first.jsonlPath);
    expect(csv.toString('utf8')).toBe(transcriptToCsv('conversation-42', input.turns));

    const second = await exportTranscript(input);
    expect(second).toEqual(first);
    expect((await readFile(second.csvPath)).equals(csv)).toBe(true);
    expect((await readFile(second.jsonlPath)).equals(jsonl)).toBe(true);
    // No temp files left behind.
    expect((await readdir(dir)).sort()).toEqual(['conversation-42.csv', 'conversation-42.jsonl']);
  });

  test('writes a requested relative outputFile, creating its folder, and returns absolute paths', async () => {
    const paths = await makeExportTranscript(path.relative(process.cwd(), dir))({
      ...input,
      outputFile: 'runs/today.csv',
    });
    expect(paths.csvPath).toBe(path.join(dir, 'runs', 'today.csv'));
    expect(paths.jsonlPath).toBe(path.join(dir, 'runs', 'today.jsonl'));
    expect(path.isAbsolute(paths.csvPath)).toBe(true);
  });

  test('names the default file from a conversation id that is not a safe file name', async () => {
    const paths = await makeExportTranscript(dir)({ ...input, conversationId: 'a/../b c' });
    expect(paths.csvPath).toBe(path.join(dir, 'a_.._b_c.csv'));
  });

  test.each(['../x.csv', '/etc/x.csv', 'a/../../x.csv', 'a\\x.csv', 'x\0.csv', 'x.txt'])(
    'refuses outputFile %j as a non-retryable failure and writes nothing',
    async (outputFile) => {
      await expect(makeExportTranscript(dir)({ ...input, outputFile })).rejects.toMatchObject({
        name: 'ApplicationFailure',
        type: 'InvalidOutputPath',
        nonRetryable: true,
      });
      expect(await readdir(dir)).toEqual([]);
    },
  );

  test('refuses a folder that is a symlink leading out of the output folder', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'csv-outside-'));
    try {
      await symlink(outside, path.join(dir, 'escape'));
      await expect(resolveOutputPaths(dir, 'c-1', 'escape/x.csv')).rejects.toMatchObject({
        name: 'OutputPathError',
      });
      await mkdir(path.join(dir, 'inside'));
      await expect(resolveOutputPaths(dir, 'c-1', 'inside/x.csv')).resolves.toMatchObject({
        csvPath: path.join(dir, 'inside', 'x.csv'),
      });
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('outputFileProblem', () => {
  test.each(['conversation.csv', 'runs/2025-01-01/run_1.csv', 'UPPER.CSV'])('accepts %j', (name) => {
    expect(outputFileProblem(name)).toBeUndefined();
  });

  test.each([
    ['../x.csv', '..'],
    ['/etc/x.csv', 'relative'],
    ['a\\b.csv', 'backslash'],
    ['a\0.csv', 'NUL'],
    ['notes.txt', '.csv'],
    ['a//b.csv', 'segments'],
    ['./a.csv', 'segments'],
    ['', '1..255'],
  ])('refuses %j', (name, reason) => {
    expect(outputFileProblem(name)).toContain(reason);
  });
});
