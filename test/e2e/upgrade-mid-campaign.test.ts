/**
 * An upgrade in the middle of a campaign (issue 28): `npm start` runs build A; a 300-item campaign starts; then the
 * stack is asked to run build B (as `npm start` again asks it), whose workflow code is deliberately incompatible
 * with A's histories (test/fixtures/extra-activity-interceptor.ts: one more activity per turn). Nothing else is
 * disturbed. Read from the histories: every item completes exactly once, no workflow task fails on nondeterminism,
 * conversations that started on A end on A and the later ones run on B, the campaign continues as new onto B, and
 * A's workers stop once A drains; the dataset is whole. On the dev server, and on PostgreSQL with two workers.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { campaignStatusQuery } from '../../src/contracts/campaign';
import type { CampaignSpec } from '../../src/contracts/campaign-spec';
import { DEFAULT_DEPLOYMENT_NAME } from '../../src/contracts/deployment';
import { BUILD_BUNDLE, buildDir } from '../../src/stack/builds';
import { groupAlive } from '../../src/stack/supervisor';
import { requestUpgrade } from '../../src/stack/upgrade';
import { currentBuildId, sourceBuildId } from '../../src/worker/deployment';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { FakeLlmService } from '../fixtures/llm-service-server';
import { FakeOllama, hashedQuestion } from '../fixtures/ollama-server';
import { startStack, type StackHandle } from '../helpers/stack';
import { repoRoot } from '../helpers/tools';
import { until } from '../helpers/wait';
import { startValidCampaign } from '../helpers/campaign-start';

const SEEDS = 100;
const REPEATS = 3;
const ITEMS = SEEDS * REPEATS;
const TURNS = 2;
const CONCURRENCY = 20;
const { EventType } = temporal.api.enums.v1;

/** Build B: A's folder with a workflow bundle that also holds the incompatible interceptor. */
async function prepareIncompatibleBuild(buildA: string, buildB: string): Promise<void> {
  if (existsSync(buildDir(buildB))) return;
  const staging = `${buildDir(buildB)}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(buildDir(buildA), staging, { recursive: true });
  const { code } = await bundleWorkflowCode({
    ...workflowBundling,
    workflowInterceptorModules: [
      ...workflowBundling.workflowInterceptorModules,
      require.resolve('../fixtures/extra-activity-interceptor'),
    ],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  writeFileSync(path.join(staging, BUILD_BUNDLE), code);
  renameSync(staging, buildDir(buildB));
}

interface RunFacts {
  workflowId: string;
  runId: string;
  startTime: number;
  status: string;
  builds: Set<string>;
  nondeterminism: number;
  cloudCalls: number;
}

/** What one run's history says: the builds that completed its workflow tasks, failures, scheduled cloud calls. */
async function runFacts(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<Omit<RunFacts, 'startTime' | 'status'>> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const facts = { workflowId, runId, builds: new Set<string>(), nondeterminism: 0, cloudCalls: 0 };
  for (const event of history.events ?? []) {
    const completed = event.workflowTaskCompletedEventAttributes;
    if (completed?.deploymentVersion?.buildId) facts.builds.add(completed.deploymentVersion.buildId);
    const failed = event.workflowTaskFailedEventAttributes;
    if (
      failed &&
      (failed.cause ===
        temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR ||
        /nondetermin/i.test(failed.failure?.message ?? ''))
    )
      facts.nondeterminism += 1;
    if (
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      event.activityTaskScheduledEventAttributes?.activityType?.name === 'askCloud'
    )
      facts.cloudCalls += 1;
  }
  return facts;
}

async function runsOf(client: Client, query: string): Promise<RunFacts[]> {
  const runs: RunFacts[] = [];
  for await (const w of client.workflow.list({ query })) {
    runs.push({
      ...(await runFacts(client, w.workflowId, w.runId)),
      startTime: w.startTime.getTime(),
      status: w.status.name,
    });
  }
  return runs;
}

function upgradeMidCampaign(backend: string, env: Record<string, string>) {
  let stack: StackHandle;
  let llm: FakeLlmService;
  let ollama: FakeOllama;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    if (env.TEMPORAL_BACKEND === 'postgres') {
      await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/setup-postgres-backend.sh')], {
        timeout: 45 * 60_000,
      });
    }
    llm = new FakeLlmService(100);
    ollama = new FakeOllama({ latencyMs: 100, reply: hashedQuestion });
    const [llmUrl] = await Promise.all([llm.start(), ollama.start()]);
    stack = await startStack({
      LLM_SERVICE_URL: llmUrl,
      OLLAMA_HOST: ollama.url,
      CLOUD_MAX_CONCURRENT_CALLS: String(CONCURRENCY),
      CLOUD_MAX_CALLS_PER_SECOND: '0',
      LOCAL_MAX_CONCURRENT_CALLS: String(CONCURRENCY),
      ...env,
    });
    connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
    client = new Client({ connection });
  }, 46 * 60_000);

  afterAll(async () => {
    await connection?.close();
    if (stack) {
      const pids = stack.componentPids();
      await stack.interrupt();
      expect(pids.filter((pid) => groupAlive(pid))).toEqual([]);
    }
    await Promise.all([llm?.stop(), ollama?.stop()]);
  }, 120_000);

  test(
    `${backend}: build B becomes current mid-campaign; A finishes what it started, drains and stops`,
    async () => {
      const campaignId = `upgrade-${backend}`;
      const buildA = (await currentBuildId(connection, 'default', DEFAULT_DEPLOYMENT_NAME))!;
      expect(buildA).toBeTruthy();
      const buildB = `${buildA}-plus-one-call`;
      await prepareIncompatibleBuild(buildA, buildB);

      const spec: CampaignSpec = {
        campaignId,
        seeds: Array.from({ length: SEEDS }, (_, i) => `Upgrade seed ${i}: what changes between builds?`),
        pairs: [{}],
        repeats: REPEATS,
        maxTurns: TURNS,
        concurrency: CONCURRENCY,
      };
      const handle = await startValidCampaign(client, spec, stack.outputDir);
      await until(
        () => handle.query(campaignStatusQuery).then((s) => s.counts.completed),
        (done) => done >= 30,
        { timeoutMs: 300_000, intervalMs: 500, what: '30 completed conversations on build A' },
      );

      const state = () =>
        JSON.parse(readFileSync(path.join(stack.dataDir, 'stack.json'), 'utf8')) as {
          pid: number;
          components: Record<string, number>;
        };
      const workersOfA = Object.entries(state().components)
        .filter(([name]) => /^worker(-\d+)?$/.test(name))
        .map(([, pid]) => pid);
      expect(workersOfA).toHaveLength(Number(env.WORKER_COUNT ?? 1));
      const switchedAt = Date.now();
      requestUpgrade(stack.dataDir, state().pid, buildB);
      await until(stack.output, (o) => o.includes(`build ${buildB} is current`), {
        timeoutMs: 180_000,
        intervalMs: 250,
        what: 'build B current',
      });
      const currentAt = Date.now();
      // A drains once the conversations it started end, while the campaign goes on on B.
      await until(stack.output, (o) => o.includes(`build ${buildA} drained: its workers stopped`), {
        timeoutMs: 600_000,
        intervalMs: 250,
        what: "build A's workers stopped once drained",
      });
      const drainedAt = Date.now();
      expect(workersOfA.filter((pid) => groupAlive(pid))).toEqual([]);

      const result = await handle.result();
      expect(result.status).toBe('completed');
      expect(result.counts).toEqual({ pending: 0, running: 0, completed: ITEMS, failed: 0, skipped: 0 });

      // Every item exactly once: one conversation each, completed, on one build, no nondeterminism anywhere.
      const conversations = await runsOf(client, `CampaignId = "${campaignId}"`);
      expect(new Set(conversations.map((c) => c.workflowId)).size).toBe(ITEMS);
      expect(
        conversations.filter((c) => c.status === 'COMPLETED' || c.status === 'CONTINUED_AS_NEW'),
      ).toHaveLength(conversations.length);
      const campaignRuns = await runsOf(client, `WorkflowId = "campaign-${campaignId}"`);
      for (const run of [...conversations, ...campaignRuns]) {
        expect(run.nondeterminism).toBe(0);
        expect(run.builds.size).toBe(1);
      }
      const onA = conversations.filter((c) => c.builds.has(buildA));
      const onB = conversations.filter((c) => c.builds.has(buildB));
      expect(onA.length + onB.length).toBe(conversations.length);
      expect(onA.length).toBeGreaterThanOrEqual(30);
      expect(onB.length).toBeGreaterThan(0);
      // Started before the switch: on A. B's code ran where B says: one more cloud call per turn.
      for (const c of conversations.filter((c) => c.startTime < switchedAt))
        expect(c.builds.has(buildA)).toBe(true);
      for (const c of onA) expect(c.cloudCalls).toBe(TURNS);
      for (const c of onB) expect(c.cloudCalls).toBe(2 * TURNS);
      expect(Math.min(...onB.map((c) => c.startTime))).toBeGreaterThanOrEqual(switchedAt);

      // The campaign continued as new from a run on A onto runs on B, and ended there.
      campaignRuns.sort((a, b) => a.startTime - b.startTime);
      const firstOnB = campaignRuns.findIndex((r) => r.builds.has(buildB));
      expect(firstOnB).toBeGreaterThan(0);
      expect(campaignRuns[firstOnB - 1]!.builds.has(buildA)).toBe(true);
      expect(campaignRuns[firstOnB - 1]!.status).toBe('CONTINUED_AS_NEW');
      expect(campaignRuns.slice(firstOnB).every((r) => r.builds.has(buildB))).toBe(true);
      expect(campaignRuns.at(-1)!.status).toBe('COMPLETED');

      console.log(
        JSON.stringify({
          msg: 'upgrade-mid-campaign',
          backend,
          items: ITEMS,
          conversationsOnA: onA.length,
          conversationsOnB: onB.length,
          campaignRuns: campaignRuns.length,
          switchToCurrentMs: currentAt - switchedAt,
          switchToDrainedMs: drainedAt - switchedAt,
        }),
      );

      // The dataset is whole: every conversation in it once.
      const lines = readFileSync(
        path.join(stack.outputDir, 'campaigns', campaignId, 'conversations.jsonl'),
        'utf8',
      )
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string });
      expect(lines).toHaveLength(ITEMS);
      expect(new Set(lines.map((l) => l.id))).toEqual(new Set(conversations.map((c) => c.workflowId)));
    },
    30 * 60_000,
  );

  test(`${backend}: npm start again while the stack runs brings it to the source's build (here back to A)`, async () => {
    const buildA = sourceBuildId(repoRoot)!;
    const running = await currentBuildId(connection, 'default', DEFAULT_DEPLOYMENT_NAME);
    expect(running).toBe(`${buildA}-plus-one-call`);
    const { stdout } = await promisify(execFile)('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, ...stack.env },
      timeout: 600_000,
    });
    expect(stdout).toContain(`asked it to upgrade its workers to build ${buildA}`);
    await until(stack.output, (o) => o.includes(`build ${running} drained: its workers stopped`), {
      timeoutMs: 300_000,
      intervalMs: 250,
      what: 'build B drained and stopped after the second npm start',
    });
    expect(await currentBuildId(connection, 'default', DEFAULT_DEPLOYMENT_NAME)).toBe(buildA);
  }, 900_000);
}

describe('an upgrade mid-campaign on the dev server', () => upgradeMidCampaign('dev', {}));
describe('an upgrade mid-campaign on PostgreSQL with two workers', () =>
  upgradeMidCampaign('postgres', { TEMPORAL_BACKEND: 'postgres', WORKER_COUNT: '2' }));
