/**
 * A small campaign from spec to dataset on the real Temporal dev server: the worker process as `npm start` runs it
 * (the real plan and dataset activities) runs campaignWorkflow with a local judge, its models deterministic fakes
 * behind the real HTTP clients. The manifest, the judge's scores and the dataset files come out of the workflow.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { CAMPAIGN_WORKFLOW_TYPE, type CampaignManifest } from '../../src/contracts/campaign';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { FAKE_MODEL_DIGEST } from '../fixtures/ollama-server';
import { CONFIG_COLUMNS, loadDataset } from '../helpers/load-dataset';
import { withWorkerComponents } from '../helpers/worker-components';

const stack = withWorkerComponents({
  llmLatencyMs: 10,
  // The judge's page of reviews ends with "Score:"; every other prompt asks for a question.
  ollama: {
    latencyMs: 10,
    reply: (prompt, call) =>
      prompt.endsWith('Score:') ? ' 6/10 - on topic throughout.' : `What about ${call}?`,
  },
});

it('runs 3 seeds × 2 turns with a judge and ends in a manifest and a dataset', async () => {
  const spec: CampaignSpec = {
    campaignId: 'spec-to-dataset',
    name: 'spec to dataset',
    seeds: ['Why is the sky blue?', 'What is a durable workflow?', 'How do tides work?'],
    pairs: [{ local: { temperature: 0.5 } }],
    maxTurns: 2,
    concurrency: 3,
    judge: { model: 'gemma3:270m', side: 'local', rubric: 'Reward answers that stay on topic.' },
  };
  const handle = await stack.client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
    taskQueue: 'llm-conversations',
    workflowId: 'campaign-spec-to-dataset',
    args: [spec],
  });
  await handle.result();

  const folder = path.join(stack.outputDir, 'campaigns', 'spec-to-dataset');
  const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as CampaignManifest;
  expect(manifest.status).toBe('completed');
  expect(manifest.endedAt).toBeDefined();
  expect(manifest.counts).toMatchObject({ completed: 3, failed: 0, pending: 0, running: 0 });
  expect(manifest.items).toHaveLength(3);
  for (const item of manifest.items) {
    expect(item.state).toBe('completed');
    expect(item.outcome).toMatchObject({ turns: 2, endReason: 'max_turns' });
    expect(item.outcome!.judge).toMatchObject({
      score: 6,
      rationale: 'on topic throughout.',
      model: 'gemma3:270m',
    });
    expect(item.quality).toMatchObject({ emptyReplies: 0, endReason: 'max_turns' });
    expect(item.models).toEqual({ cloud: 'fake-cloud', local: 'gemma3:270m' });
  }
  expect(manifest.provenance.models).toContainEqual(
    expect.objectContaining({ side: 'local', model: 'gemma3:270m', digest: FAKE_MODEL_DIGEST }),
  );
  expect(manifest.provenance.temporalNamespace).toBe('default');

  for (const file of ['conversations.parquet', 'sharegpt.jsonl', 'README.md', 'report.html']) {
    expect(existsSync(path.join(folder, file))).toBe(true);
  }
  const lines = readFileSync(path.join(folder, 'conversations.jsonl'), 'utf8').trim().split('\n');
  expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(
    manifest.items.map((i) => i.conversationId),
  );
  const first = JSON.parse(lines[0]!) as {
    messages: { role: string; content: string }[];
    metadata: { judge: unknown };
  };
  expect(first.messages[0]).toEqual({ role: 'user', content: 'Why is the sky blue?' });
  expect(first.metadata.judge).toMatchObject({ score: 6 });

  // Every config of the card loads with the `datasets` library: the three conversations, each config's columns.
  const loaded = await loadDataset(folder);
  expect(Object.keys(loaded)).toEqual(Object.keys(CONFIG_COLUMNS));
  for (const [config, splits] of Object.entries(loaded)) {
    expect({ config, splits: Object.keys(splits) }).toEqual({ config, splits: ['train'] });
    expect({ config, rows: splits.train!.rows, columns: splits.train!.columns }).toEqual({
      config,
      rows: 3,
      columns: CONFIG_COLUMNS[config],
    });
  }
  expect(loaded.default!.train!.first).toMatchObject({ judge_score: 6, dropped_by: [] });
  expect(loaded.messages!.train!.first!.messages).toEqual(first.messages);
  expect(manifest.diversity?.dataset.conversations).toBe(3);
}, 600_000);
