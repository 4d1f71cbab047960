/**
 * Histories recorded from real runs (npm run histories:record) replay against the current workflow code: a change
 * that would break conversations already running (a non-determinism error) fails here, not in production.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { workerWorkflowSource } from '../../src/worker/workflow-bundle';

const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
});

test('there are recorded histories for every way a conversation ends', () => {
  // At least these: histories kept from before a patched change sit beside them under other names.
  expect(files.map((f) => f.replace('.json', ''))).toEqual(
    expect.arrayContaining([
      'continue-as-new',
      'max-turns',
      'pause-resume',
      'stop-phrase',
      'stop-signal',
      'timeout',
      // Recorded once with the code of commit 02a2d4c (the input rules before v2), by hand: the current code
      // refuses its input (`.hidden.csv`, a lone surrogate in a stop phrase) for new runs, so
      // `npm run histories:record` cannot make it. It must keep replaying: a run accepted then never fails later.
      'v1-input-rules',
      // Recorded with the provider task queues and maxTotalTokens; and a campaign (judge, pause, resume).
      'provider-queues-budget',
      'campaign',
      // The novelty guard asking again: a local resample that finds a new question, cloud resamples that do not.
      'novelty-resample',
    ]),
  );
});

test('the novelty-resample history holds resamples of both sides, so its replay covers the novelty guard', () => {
  const { events } = JSON.parse(readFileSync(path.join(dir, 'novelty-resample.json'), 'utf8')) as {
    events: { userMetadata?: { summary?: { data?: string } } }[];
  };
  const summaries = events.flatMap((e) => {
    const data = e.userMetadata?.summary?.data;
    return data ? [JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as string] : [];
  });
  expect(summaries).toEqual(
    expect.arrayContaining([
      'turn 1 · local · resample 1',
      'turn 2 · cloud · resample 1',
      'turn 2 · cloud · resample 2',
      'export · 1 turns · repetition',
    ]),
  );
});

test('every recorded history replays against the current workflow code', async () => {
  const histories = files.map((f) => ({
    // A campaign derives its id from its workflow id, and its children's ids from that: replay it under its own.
    workflowId: f.startsWith('campaign') ? `campaign-history-${f.replace('.json', '')}` : `replay-${f}`,
    history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))),
  }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(workerWorkflowSource, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
}, 120_000);
