/**
 * How long a crash idles a running campaign (issue 21's target: ≤ 10 s). A 300-item campaign, long enough to
 * continue-as-new twice (ITEMS_PER_RUN starts a run), runs on the real Temporal dev server and worker process with
 * deterministic fake models; its worker is SIGKILLed mid-run and a new one started at once (as a supervisor
 * would), and later the dev server is stopped and started again on the same SQLite file.
 *
 * Idle time is measured two ways, each a gap with a free slot while items are pending:
 * - slots, from the server's own records: the campaign holds at most `concurrency` conversations, so its
 *   (concurrency + k)-th conversation can start only after the k-th has ended; the time between the two is how long
 *   that slot stood free. Start and close times come from Temporal's visibility records of the conversations.
 * - sampled: the `campaignStatus` query polled every SAMPLE_MS; idle from a sample saying running < concurrency
 *   and pending > 0 to the next saying otherwise (a query not answered, while no worker is up, says nothing).
 * Both leave out the time the Temporal server itself is down: from its stop until it answers again. The figures go
 * to the log as one JSON line, `campaign-crash-idle`.
 */
import { temporal } from '@temporalio/proto';
import { ITEMS_PER_RUN } from '../../src/campaign/workflows/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import type { CallLog } from '../fixtures/call-log';
import { until } from '../helpers/wait';
import { startValidCampaign } from '../helpers/campaign-start';
import { sampleCampaignStatus, type StatusSample } from '../helpers/campaign-status-sampler';
import { withWorkerComponents } from '../helpers/worker-components';
import { hashedQuestion } from '../fixtures/ollama-server';

const CAMPAIGN = 'crash-idle';
const SEEDS = 100;
const REPEATS = 3;
const ITEMS = SEEDS * REPEATS;
const TURNS = 2;
const CONCURRENCY = 20;
const TARGET_MS = 10_000;
const SAMPLE_MS = 200;

const stack = withWorkerComponents({
  llmLatencyMs: 150,
  ollama: {
    latencyMs: 150,
    reply: hashedQuestion,
  },
  env: {
    CLOUD_MAX_CONCURRENT_CALLS: String(CONCURRENCY),
    CLOUD_MAX_CALLS_PER_SECOND: '0',
    LOCAL_MAX_CONCURRENT_CALLS: String(CONCURRENCY),
  },
});

/** A stretch of wall time, in ms since the epoch. */
interface Span {
  from: number;
  to: number;
}

/** The length of `span` outside the `excluded` stretches. */
function lengthOutside(span: Span, excluded: Span[]): number {
  let length = Math.max(0, span.to - span.from);
  for (const e of excluded) length -= Math.max(0, Math.min(span.to, e.to) - Math.max(span.from, e.from));
  return length;
}

/**
 * The free-slot gaps from the conversations' start and close times: the k-th conversation to end freed a slot that
 * the (concurrency + k)-th to start took (the campaign never runs more than `concurrency`).
 */
function slotGaps(starts: number[], closes: number[], concurrency: number): Span[] {
  const s = [...starts].sort((a, b) => a - b);
  const c = [...closes].sort((a, b) => a - b);
  const gaps: Span[] = [];
  for (let k = 0; k + concurrency < s.length; k++) gaps.push({ from: c[k]!, to: s[k + concurrency]! });
  return gaps;
}

/**
 * Stretches from a sample saying the campaign had a free slot and pending items to the next saying it had none. A
 * query not answered (no worker to answer it yet) says nothing either way.
 */
function sampledGaps(samples: StatusSample[], concurrency: number): Span[] {
  const gaps: Span[] = [];
  let from: number | undefined;
  for (const { at, counts } of samples) {
    if (!counts) continue;
    const idle = counts.running < concurrency && counts.pending > 0;
    if (idle && from === undefined) from = at;
    if (!idle && from !== undefined) {
      gaps.push({ from, to: at });
      from = undefined;
    }
  }
  return gaps;
}

/**
 * The longest of `gaps` that ends after `after` (and before `before`), outside the excluded stretches, in ms; and
 * where it began, in s after `after`.
 */
function longest(
  gaps: Span[],
  excluded: Span[],
  after: number,
  before = Infinity,
): { ms: number; atS?: number } {
  let worst: { ms: number; atS?: number } = { ms: 0 };
  for (const g of gaps.filter((g) => g.to > after && g.to <= before)) {
    const ms = lengthOutside(g, excluded);
    if (ms > worst.ms) worst = { ms, atS: Math.round((g.from - after) / 100) / 10 };
  }
  return worst;
}

/** Stretches between consecutive instants, e.g. model calls arriving at the fakes. */
function pauses(instants: number[]): Span[] {
  const sorted = [...instants].sort((a, b) => a - b);
  return sorted.slice(1).map((to, i) => ({ from: sorted[i]!, to }));
}

/** The campaign's workflow tasks that timed out (its runs together), by kind: where a crash's seconds went. */
async function workflowTaskTimeouts(workflowId: string): Promise<Record<string, number>> {
  const kinds: Record<string, number> = {};
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await stack.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const timeoutType = event.workflowTaskTimedOutEventAttributes?.timeoutType;
      if (timeoutType === undefined || timeoutType === null) continue;
      const kind = temporal.api.enums.v1.TimeoutType[timeoutType] ?? String(timeoutType);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  return kinds;
}

function callsPerTurn(log: CallLog): Map<string, number> {
  const perTurn = new Map<string, number>();
  for (const id of log.requestIds.filter((r) => r.startsWith(`campaign-${CAMPAIGN}-`))) {
    const [workflowId, activityId] = id.split(':');
    const key = `${workflowId}:${activityId}`;
    perTurn.set(key, (perTurn.get(key) ?? 0) + 1);
  }
  return perTurn;
}

test('a worker SIGKILL and a Temporal restart idle a running campaign at most 10 s', async () => {
  expect(ITEMS).toBeGreaterThan(2 * ITEMS_PER_RUN);
  const spec: CampaignSpec = {
    campaignId: CAMPAIGN,
    seeds: Array.from({ length: SEEDS }, (_, i) => `Crash idle seed ${i}: what keeps a campaign busy?`),
    pairs: [{}],
    repeats: REPEATS,
    maxTurns: TURNS,
    concurrency: CONCURRENCY,
  };
  // Started as the API and the CLI start one.
  const handle = await startValidCampaign(stack.client, spec, stack.outputDir);

  const sampler = sampleCampaignStatus(stack.client, handle, SAMPLE_MS);
  const { samples } = sampler;
  const completed = (n: number, what: string) =>
    until(
      () => samples.at(-1)?.counts?.completed ?? 0,
      (done) => done >= n,
      { timeoutMs: 300_000, intervalMs: SAMPLE_MS, what },
    );

  try {
    await completed(60, '60 completed conversations');
    const killedAt = Date.now();
    await stack.components.stop('worker', { signal: 'SIGKILL' });
    await stack.components.start('worker', 'worker-after-kill');
    const workerUpAt = Date.now();

    await completed(180, '180 completed conversations');
    const serverStoppedAt = Date.now();
    await stack.components.stop('temporal');
    await stack.components.start('temporal', 'temporal-restarted');
    const serverUpAt = Date.now();
    const serverDown: Span = { from: serverStoppedAt, to: serverUpAt };

    const result = await handle.result();
    await sampler.stop();

    expect(result.status).toBe('completed');
    expect(result.counts).toEqual({ pending: 0, running: 0, completed: ITEMS, failed: 0, skipped: 0 });
    expect(result.totals.turns).toBe(ITEMS * TURNS);

    // Every item exactly once: one conversation each, every (item, turn, side) asked, and asked again only when
    // Temporal retried the call a dead worker or a stopped server cut off.
    const starts: number[] = [];
    const closes: number[] = [];
    for await (const w of stack.client.workflow.list({ query: `CampaignId = "${CAMPAIGN}"` })) {
      expect(w.status.name).toBe('COMPLETED');
      starts.push(w.startTime.getTime());
      closes.push(w.closeTime!.getTime());
    }
    expect(starts).toHaveLength(ITEMS);
    for (const log of [stack.llm.log, stack.ollama.log]) {
      const perTurn = callsPerTurn(log);
      expect(perTurn.size).toBe(ITEMS * TURNS);
      const conversations = new Set([...perTurn.keys()].map((k) => k.split(':')[0]));
      expect(conversations.size).toBe(ITEMS);
    }

    // Left out: the server's downtime, and the plan before the first conversation started.
    const firstStart = Math.min(...starts);
    const excluded: Span[] = [serverDown, { from: 0, to: firstStart }];
    const slots = slotGaps(starts, closes, CONCURRENCY);
    const sampled = sampledGaps(samples, CONCURRENCY);
    const calls = pauses([...stack.llm.log.arrivals, ...stack.ollama.log.arrivals]);
    const unanswered = pauses(samples.filter((s) => s.counts).map((s) => s.at));
    const figures = {
      msg: 'campaign-crash-idle',
      items: ITEMS,
      concurrency: CONCURRENCY,
      turns: TURNS,
      runs: Math.ceil(ITEMS / ITEMS_PER_RUN),
      workerRestartMs: workerUpAt - killedAt,
      serverDownMs: serverDown.to - serverDown.from,
      slotIdle: {
        afterWorkerKill: longest(slots, excluded, killedAt, serverStoppedAt),
        afterTemporalRestart: longest(slots, excluded, serverStoppedAt),
        withoutCrash: longest(slots, excluded, firstStart, killedAt),
      },
      sampledIdle: {
        afterWorkerKill: longest(sampled, excluded, killedAt, serverStoppedAt),
        afterTemporalRestart: longest(sampled, excluded, serverStoppedAt),
        withoutCrash: longest(sampled, excluded, firstStart, killedAt),
      },
      // Not asserted: no model call at all anywhere (conversations whose call a dead worker held wait for its 30 s
      // heartbeat timeout, holding their slot), and the status query unanswered (no worker yet).
      noModelCall: {
        afterWorkerKill: longest(calls, excluded, killedAt, serverStoppedAt),
        afterTemporalRestart: longest(calls, excluded, serverStoppedAt),
      },
      queryUnanswered: longest(unanswered, excluded, firstStart),
      campaignTaskTimeouts: await workflowTaskTimeouts(`campaign-${CAMPAIGN}`),
      samples: samples.length,
      wallMs: Math.max(...closes) - firstStart,
    };
    console.log(JSON.stringify(figures));
    for (const figure of [...Object.values(figures.slotIdle), ...Object.values(figures.sampledIdle)]) {
      expect(figure.ms).toBeLessThanOrEqual(TARGET_MS);
    }
  } finally {
    await sampler.stop();
  }
}, 600_000);
