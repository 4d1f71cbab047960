/**
 * Histories of the current build, recorded from real runs (npm run histories:record), replay against the workflow
 * code: workflow code that is not deterministic (its commands depend on something besides its history) fails here.
 * Runs of older builds are never replayed on this code (worker deployment versioning), so only this build's count.
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

test('there is a recorded history for every way a conversation and a campaign end, and no other', () => {
  expect(files.map((f) => f.replace('.json', '')).sort()).toEqual(
    [
      // Conversations: each end reason, and a run that continued as new.
      'max-turns',
      'stop-signal',
      'stop-phrase',
      'timeout',
      'budget',
      'error',
      'cancelled',
      // The novelty guard asking again, ending as `repetition`: a local resample that finds a new question, cloud
      // resamples that do not.
      'novelty-resample',
      'pause-resume',
      'continue-as-new',
      // Campaigns: completed (with a judge, pause and resume), cancelled, and a run that continued as new.
      'campaign',
      'campaign-cancelled',
      'campaign-continue-as-new',
    ].sort(),
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
