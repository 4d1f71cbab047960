/**
 * A campaign's continue-as-new keeps its window full (issue 31 item 6): at each boundary (every ITEMS_PER_RUN starts)
 * the running conversations must not drain while items wait. Measured as campaign-crash-idle.test.ts samples: the
 * `campaignStatus` query every SAMPLE_MS, a gap from a sample with fewer than half the concurrency running and items
 * pending to the next with more (a slot freed and taken again between samples is the window's normal churn).
 *
 * Parameters (environment): DRAIN_ITEMS (default 300; the issue also asks for 2 000), DRAIN_BACKEND (`dev`, default,
 * or `postgres`, which runs two workers; it needs `TEMPORAL_BACKEND=postgres npm run setup` first). The figures go
 * to the log as one JSON line, `campaign-continue-drain`.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { campaignWorkflow } from '../../src/campaign/workflows/campaign';
import { ITEMS_PER_RUN } from '../../src/campaign/workflows/campaign';
import { startCampaign } from '../../src/campaign/start';
import { validateCampaign } from '../../src/campaign/validate';
import { hashedQuestion } from '../fixtures/ollama-server';
import { sampleCampaignStatus, type StatusSample } from '../helpers/campaign-status-sampler';
import { withWorkerComponents } from '../helpers/worker-components';

const ITEMS = Number(process.env.DRAIN_ITEMS ?? 300);
const POSTGRES = process.env.DRAIN_BACKEND === 'postgres';
const CONCURRENCY = 40;
const SAMPLE_MS = 200;
/** The longest a free slot may stand while items wait: a child's start on a loaded 2-core machine, not a drain. */
const TARGET_MS = 3_000;

const stack = withWorkerComponents({
  llmLatencyMs: 150,
  ollama: { latencyMs: 150, reply: hashedQuestion },
  env: {
    CLOUD_MAX_CONCURRENT_CALLS: String(CONCURRENCY),
    CLOUD_MAX_CALLS_PER_SECOND: '0',
    LOCAL_MAX_CONCURRENT_CALLS: String(CONCURRENCY),
    ...(POSTGRES && { TEMPORAL_BACKEND: 'postgres' }),
  },
  ...(POSTGRES && { start: [['postgres'], ['temporal'], ['worker'], ['worker', 'worker-2']] as const }),
  timeoutMs: 600_000,
});

/** Stretches with under half the window running and items pending (an unanswered query says nothing). */
function idleGaps(samples: StatusSample[]): { from: number; ms: number; lowest: number }[] {
  const gaps: { from: number; ms: number; lowest: number }[] = [];
  let open: { from: number; lowest: number } | undefined;
  for (const { at, counts } of samples) {
    if (!counts) continue;
    const idle = counts.running < CONCURRENCY / 2 && counts.pending > 0;
    if (idle) open = { from: open?.from ?? at, lowest: Math.min(open?.lowest ?? Infinity, counts.running) };
    else if (open) {
      gaps.push({ from: open.from, ms: at - open.from, lowest: open.lowest });
      open = undefined;
    }
  }
  return gaps;
}

test(`a ${ITEMS}-item campaign keeps ${CONCURRENCY} conversations running across its continue-as-new`, async () => {
  expect(ITEMS).toBeGreaterThan(ITEMS_PER_RUN);
  const valid = await validateCampaign(
    {
      campaignId: 'continue-drain',
      seeds: Array.from({ length: ITEMS }, (_, i) => `Drain seed ${i}: what keeps a window full?`),
      pairs: [{}],
      maxTurns: 1,
      concurrency: CONCURRENCY,
      novelty: false,
    },
    { inputDir: stack.outputDir },
  );
  if (!valid.ok) throw new Error(JSON.stringify(valid.issues));
  const handle = (await startCampaign(stack.client, 'llm-conversations', valid)).handle as WorkflowHandle<
    typeof campaignWorkflow
  >;
  const startedAt = Date.now();
  const sampler = sampleCampaignStatus(stack.client, handle, SAMPLE_MS);
  const result = await handle.result();
  await sampler.stop();
  const { samples } = sampler;

  expect(result.counts).toEqual({ pending: 0, running: 0, completed: ITEMS, failed: 0, skipped: 0 });
  // The first fill (the window growing from 0) is not a drain.
  const filledAt = samples.find((s) => (s.counts?.running ?? 0) >= CONCURRENCY)?.at ?? startedAt;
  const gaps = idleGaps(samples).filter((g) => g.from > filledAt);
  const lowest = Math.min(
    ...samples.filter((s) => s.at > filledAt && (s.counts?.pending ?? 0) > 0).map((s) => s.counts!.running),
  );
  const worst = gaps.reduce((w, g) => (g.ms > w.ms ? g : w), { from: 0, ms: 0, lowest: CONCURRENCY });
  console.log(
    JSON.stringify({
      'campaign-continue-drain': {
        backend: POSTGRES ? 'postgres' : 'dev',
        items: ITEMS,
        concurrency: CONCURRENCY,
        runs: Math.ceil(ITEMS / ITEMS_PER_RUN),
        wallS: Math.round((Date.now() - startedAt) / 100) / 10,
        worstIdleMs: worst.ms,
        lowestRunningInIt: worst.lowest,
        lowestRunningWhilePending: lowest,
        idleGaps: gaps.length,
      },
    }),
  );
  // Before the fixes the window emptied at each boundary (0 running, 100 waiting), then fell to 12 of 40; with the
  // run filling the window until it continues and the next run starting the items it is handed, 34 of 40 (dev
  // server) and 40 of 40 (PostgreSQL) at 300 items. At 2 000 items both backends still show gaps of about 2 s
  // (docs/durability.md), which this bound lets through: its default run checks the 300.
  if (ITEMS <= 300) expect(gaps).toEqual([]);
  expect(worst.ms).toBeLessThan(TARGET_MS);
}, 1_800_000);
