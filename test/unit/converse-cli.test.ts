import { formatEnd, formatTurn, parseCliArgs, progressLines, snippet, USAGE } from '../../src/cli/converse';
import type { Turn } from '../../src/contracts/conversation';
import { loadConfig } from '../../src/shared/config';

/** The configuration's own defaults (what a fresh `.env`-less start uses). */
const config = loadConfig({});

const parse = (...argv: string[]) => parseCliArgs(argv, config);

function turn(n: number, overrides: Partial<Turn> = {}): Turn {
  return {
    turn: n,
    timestamp: '2025-01-01T00:00:00.000Z',
    query: `Question ${n}`,
    cloudResponse: `Answer ${n}`,
    localResponse: `Follow-up ${n}?`,
    processingTimeMs: 1234,
    cloudModel: 'c',
    localModel: 'l',
    cloudLatencyMs: 812,
    localLatencyMs: 240,
    cloudUsage: { inputTokens: 1, outputTokens: 2 },
    localUsage: { inputTokens: 3, outputTokens: 4 },
    ...overrides,
  };
}

describe('parseCliArgs', () => {
  test('the README example: a query, --turns and --out, with config defaults filled', () => {
    const command = parse('Tell me about machine learning', '--turns', '3', '--out', 'x.csv');
    expect(command).toEqual({
      kind: 'run',
      pollMs: 1000,
      detach: false,
      input: {
        initialQuery: 'Tell me about machine learning',
        maxTurns: 3,
        outputFile: 'x.csv',
        conversationId: expect.stringMatching(/^conversation-[0-9a-f-]{36}$/),
        timeoutMinutes: 30,
        cloud: { maxTokens: 150 },
        local: { model: 'gemma3:270m', maxTokens: 96 },
      },
    });
  });

  test('every option maps to the workflow input', () => {
    const command = parse(
      'Hi',
      '-n',
      '7',
      '-o',
      './runs/a.csv',
      '--id',
      'my-run',
      '--timeout',
      '2.5',
      '--delay',
      '500',
      '--cloud-model',
      'claude',
      '--cloud-system',
      'Be a pirate',
      '--cloud-temperature',
      '0.2',
      '--cloud-max-tokens',
      '50',
      '--local-model',
      'gemma',
      '--local-system',
      'Be a child',
      '--local-temperature',
      '1.5',
      '--local-max-tokens',
      '20',
      '--question-template',
      'Ask about {answer}',
      '--stop-phrase',
      'bye',
      '--stop-phrase',
      'the end',
      '--repetition-threshold',
      '0.8',
      '--repetition-window',
      '0',
      '--no-novelty',
      '--poll',
      '250',
      '--detach',
    );
    expect(command).toEqual({
      kind: 'run',
      pollMs: 250,
      detach: true,
      input: {
        initialQuery: 'Hi',
        maxTurns: 7,
        outputFile: 'runs/a.csv',
        conversationId: 'my-run',
        timeoutMinutes: 2.5,
        delayBetweenTurnsMs: 500,
        cloud: { model: 'claude', systemPrompt: 'Be a pirate', temperature: 0.2, maxTokens: 50 },
        local: {
          model: 'gemma',
          systemPrompt: 'Be a child',
          temperature: 1.5,
          maxTokens: 20,
          questionTemplate: 'Ask about {answer}',
        },
        stopPhrases: ['bye', 'the end'],
        repetitionThreshold: 0.8,
        repetitionWindow: 0,
        novelty: false,
      },
    });
  });

  test('--help and -h ask for the usage, which lists every flag', () => {
    expect(parse('--help')).toEqual({ kind: 'help' });
    expect(parse('-h')).toEqual({ kind: 'help' });
    for (const flag of [
      '--turns',
      '--out',
      '--id',
      '--stop-phrase',
      '--question-template',
      '--no-novelty',
      '--detach',
    ]) {
      expect(USAGE).toContain(flag);
    }
  });

  test.each([
    [[], 'initial query is missing'],
    [['a', 'b'], 'one query'],
    [['Hi', '--turns'], '--turns'],
    [['Hi', '--turns', 'three'], '--turns must be a number'],
    [['Hi', '--turns', '0'], '--turns'],
    [['Hi', '--turns', '201'], '--turns'],
    [['Hi', '--turns', '2.5'], '--turns'],
    [['Hi', '--out', '../x.csv'], '--out'],
    [['Hi', '--out', '/tmp/x.csv'], '--out'],
    [['Hi', '--out', 'x.txt'], '--out'],
    [['Hi', '--id', 'a/b'], '--id'],
    [['Hi', '--cloud-temperature', '3'], '--cloud-temperature'],
    [['Hi', '--local-max-tokens', '-1'], '--local-max-tokens'],
    [['Hi', '--question-template', 'no placeholder'], '--question-template'],
    [['Hi', '--repetition-threshold', '2'], '--repetition-threshold'],
    [['Hi', '--timeout', ''], '--timeout'],
    [['Hi', '--poll', '10'], '--poll'],
    [['Hi', '--bogus'], "'--bogus'"],
    [['   '], 'the query (first argument)'],
  ])('%j is refused with a message naming %s', (argv, message) => {
    expect(() => parse(...argv)).toThrow(
      expect.objectContaining({ name: 'UsageError', message: expect.stringContaining(message) }),
    );
  });
});

describe('progress', () => {
  test('one line per turn: number, latencies, a snippet of each side and the wall time', () => {
    expect(formatTurn(turn(3), 12)).toBe(
      'turn  3/12 · cloud 812 ms "Answer 3" → local 240 ms "Follow-up 3?" · 1.2 s',
    );
  });

  test('snippets are one line and cut with an ellipsis', () => {
    expect(snippet('a\n  b\tc')).toBe('a b c');
    expect(snippet('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  test('prints only turns not printed yet, and status changes once', () => {
    const seen: { turns: number; status?: string } = { turns: 0 };
    expect(progressLines({ turns: [turn(1)], maxTurns: 3, status: 'running' }, seen)).toHaveLength(1);
    expect(progressLines({ turns: [turn(1)], maxTurns: 3, status: 'running' }, seen)).toEqual([]);
    const paused = progressLines({ turns: [turn(1), turn(2)], maxTurns: 3, status: 'paused' }, seen);
    expect(paused).toEqual([expect.stringMatching(/^turn 2\/3/), expect.stringContaining('paused')]);
    expect(progressLines({ turns: [turn(1), turn(2)], maxTurns: 3, status: 'paused' }, seen)).toEqual([]);
    expect(progressLines({ turns: [turn(1), turn(2)], maxTurns: 3, status: 'running' }, seen)).toEqual([
      expect.stringContaining('resumed'),
    ]);
  });

  test('the end says why it ended and where the files are', () => {
    expect(
      formatEnd({
        conversationId: 'c',
        endReason: 'stop_signal',
        turns: [turn(1)],
        completedTurns: 1,
        maxTurns: 5,
        csvPath: '/out/c.csv',
        jsonlPath: '/out/c.jsonl',
        averageProcessingTimeMs: 1234,
      }),
    ).toEqual([
      'ended: stop_signal after 1 of 5 turns (average turn 1.2 s)',
      'CSV:   /out/c.csv',
      'JSONL: /out/c.jsonl',
    ]);
  });

  test('the end says so when the export fell back from the requested file', () => {
    const note = 'outputFile "lnk/x.csv" could not be written (lnk is a symbolic link); …';
    expect(
      formatEnd({
        conversationId: 'c',
        endReason: 'max_turns',
        turns: [],
        completedTurns: 0,
        maxTurns: 1,
        csvPath: '/out/c.csv',
        jsonlPath: '/out/c.jsonl',
        requestedOutputFile: 'lnk/x.csv',
        exportNote: note,
        averageProcessingTimeMs: 0,
      }).at(-1),
    ).toBe(`note:  ${note}`);
  });
});
