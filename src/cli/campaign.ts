/**
 * `npm run campaign -- spec.yaml`: checks a campaign spec (YAML or JSON), starts it (the same start as the API),
 * and follows it with a live progress bar until it ends; Ctrl-C leaves it running. `attach <campaignId>` follows
 * one already started; `--pause`, `--resume`, `--cancel <campaignId>` send the signals.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { followWorkflow } from './follow';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  CAMPAIGN_ID_RULE,
  campaignWorkflowId,
  isCampaignId,
  campaignStatusQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../contracts/campaign';
import type { CampaignStatusView } from '../contracts/campaign';
import { estimateSettingsFromConfig } from '../campaign/estimate-settings';
import type { CampaignEstimate, MeasuredRate, Side } from '../campaign/estimate';
import { concurrencyOf, pilotSizeOf, runEstimate, type PilotSize } from '../campaign/estimate-run';
import { estimateBasisText, estimateRatioLine } from '../campaign/dataset/estimate-vs-actual';
import type { Interval } from '../contracts/campaign-estimate';
import { MAX_PILOT_ITEMS } from '../contracts/campaign-spec';
import { startCampaign, writeCampaignPlan } from '../campaign/start';
import { validateCampaign } from '../campaign/validate';
import { loadModelEndpoints, type EndpointCatalog } from '../models/endpoints';
import type { ValidCampaign } from '../campaign/validate';
import { fileErrorCode, messageOf } from '../contracts/errors';
import { loadConfig } from '../shared/config';
import type { Config } from '../shared/config';
import { campaignKey, readManifest } from '../output/campaign-files';
import { openOutputStore } from '../output/open-store';
import type { OutputStore } from '../output/store';
import { unsuccessfulCloseOf } from '../shared/temporal-errors';

export const USAGE = `Usage:
  npm run campaign -- <spec.yaml|spec.json> [--id <campaignId>] [--detach] [--poll <ms>]
  npm run campaign -- --estimate [--pilot <items|auto>] <spec.yaml|spec.json> [--cloud-rate <tokens/s>] [--local-rate <tokens/s>]
  npm run campaign -- attach <campaignId> [--poll <ms>]
  npm run campaign -- --pause <campaignId> | --resume <campaignId> | --cancel <campaignId>

Starts a campaign (many conversations as one job, see docs/campaigns.md) and shows its progress: done/total,
running, failed, turns per second, tokens, cost and ETA. Ctrl-C leaves the campaign running; attach again with
\`npm run campaign -- attach <campaignId>\`. Submitting the same spec again starts nothing new: it attaches.

Options (the rest from the environment / .env, as for the services):
      --id <campaignId>   the campaign's id (default: from the spec's campaignId, else a hash of the spec)
      --detach            start the campaign, print its id and leave
      --poll <ms>         how often progress is polled (default 1000)
      --estimate          check the spec and print what it would cost (items, model calls, tokens, USD, wall
                          time), as an upper bound and as expected (each with an interval): measured on the
                          earlier campaigns with the same settings when there are any, else assumed. Starts
                          nothing; writes only campaigns/<id>/estimate.json, which the campaign started after it
                          compares itself with
      --pilot <items|auto>
                          with --estimate: first run a stratified sample of that many items (auto: a cheap
                          default, every pair and grid cell in it) for real as a campaign of its own, and
                          measure the expected figures on it; the campaign started after takes its items over
      --cloud-rate, --local-rate <tokens/s>
                          with --estimate: a model server's measured output tokens per second (all its calls
                          together), for a wall time from it
      --pause <id>        hold new starts (running conversations pause after their current turn)
      --resume <id>       start again after a pause
      --cancel <id>       stop new starts and cancel running conversations (their transcripts are exported)
  -h, --help              this help

Exit codes: 0 the campaign ended (completed or cancelled), 1 it failed or Temporal could not be reached,
2 bad arguments or a bad spec, 130 left with Ctrl-C (the campaign goes on).`;

/** A command-line or spec-file mistake: printed as it is, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type CampaignCommand =
  | { kind: 'help' }
  | { kind: 'start'; specFile: string; id?: string; detach: boolean; pollMs: number }
  | {
      kind: 'estimate';
      specFile: string;
      id?: string;
      rates: Partial<Record<Side, MeasuredRate>>;
      pilot?: PilotSize;
      pollMs: number;
    }
  | { kind: 'attach'; campaignId: string; pollMs: number }
  | { kind: 'signal'; action: 'pause' | 'resume' | 'cancel'; campaignId: string };

const OPTIONS = {
  id: { type: 'string' },
  detach: { type: 'boolean' },
  poll: { type: 'string' },
  pause: { type: 'string' },
  resume: { type: 'string' },
  cancel: { type: 'string' },
  estimate: { type: 'boolean' },
  'cloud-rate': { type: 'string' },
  'local-rate': { type: 'string' },
  pilot: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function checkedId(id: string, what: string): string {
  if (isCampaignId(id)) return id;
  throw new UsageError(`${what}: "${id}" is not a campaign id: it ${CAMPAIGN_ID_RULE}`);
}

/** Parses the arguments after `campaign`; throws UsageError naming what is wrong. */
export function parseCampaignArgs(argv: string[]): CampaignCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const pollMs = values.poll === undefined ? 1000 : Number(values.poll);
  if (!Number.isInteger(pollMs) || pollMs < 100 || pollMs > 60_000) {
    throw new UsageError('--poll must be 100..60000 milliseconds');
  }
  const signals = (['pause', 'resume', 'cancel'] as const).filter((a) => values[a] !== undefined);
  if (signals.length > 0) {
    if (signals.length > 1 || positionals.length > 0 || values.id !== undefined || values.detach) {
      throw new UsageError(`--${signals[0]} takes a campaign id and nothing else`);
    }
    const action = signals[0]!;
    return { kind: 'signal', action, campaignId: checkedId(values[action]!, `--${action}`) };
  }
  if (positionals[0] === 'attach') {
    if (positionals.length !== 2) throw new UsageError('attach takes one campaign id: attach <campaignId>');
    if (values.id !== undefined || values.detach) throw new UsageError('attach takes only --poll');
    return { kind: 'attach', campaignId: checkedId(positionals[1]!, 'attach'), pollMs };
  }
  if (positionals.length === 0) throw new UsageError('the spec file is missing (the first argument)');
  if (positionals.length > 1) throw new UsageError(`expected one spec file, got ${positionals.join(' ')}`);
  const rates: Partial<Record<Side, MeasuredRate>> = {};
  for (const side of ['cloud', 'local'] as const) {
    const value = values[`${side}-rate`];
    if (value === undefined) continue;
    if (!values.estimate) throw new UsageError(`--${side}-rate goes with --estimate`);
    const rate = Number(value);
    if (!(rate > 0 && rate <= 1_000_000))
      throw new UsageError(`--${side}-rate must be a number of tokens per second above 0`);
    rates[side] = { outputTokensPerSecond: rate };
  }
  if (values.pilot !== undefined && !values.estimate) throw new UsageError('--pilot goes with --estimate');
  if (values.estimate) {
    if (values.detach) throw new UsageError('--estimate starts nothing: it takes no --detach');
    return {
      kind: 'estimate',
      specFile: positionals[0]!,
      ...(values.id === undefined ? {} : { id: checkedId(values.id, '--id') }),
      rates,
      ...(values.pilot !== undefined && { pilot: parsePilotSize(values.pilot) }),
      pollMs,
    };
  }
  return {
    kind: 'start',
    specFile: positionals[0]!,
    ...(values.id === undefined ? {} : { id: checkedId(values.id, '--id') }),
    detach: values.detach ?? false,
    pollMs,
  };
}

function parsePilotSize(value: string): PilotSize {
  if (value === 'auto') return 'auto';
  const items = Number(value);
  if (!Number.isInteger(items) || items < 1 || items > MAX_PILOT_ITEMS) {
    throw new UsageError(`--pilot must be auto or a number of items, 1..${MAX_PILOT_ITEMS}`);
  }
  return items;
}

/**
 * Reads and checks a spec file (`.yaml`, `.yml` or `.json`): every problem is a UsageError that names the file
 * and the field (`spec.yaml: pairs[1].cloud.model: …`), one line each. `id` overrides the spec's campaignId.
 */
export async function loadSpecFile(
  file: string,
  options: { inputDir: string; id?: string; endpoints?: EndpointCatalog },
): Promise<ValidCampaign> {
  const shown = file;
  const ext = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new UsageError(`${shown}: a spec file ends with .yaml, .yml or .json`);
  }
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    const code = fileErrorCode(err);
    throw new UsageError(
      code === 'ENOENT' ? `${shown}: no such file` : `${shown}: cannot be read (${code ?? messageOf(err)})`,
    );
  });
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new UsageError(`${shown}: not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${messageOf(err)}`);
  }
  if (options.id !== undefined) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new UsageError(`${shown}: (root): must be an object (a campaign spec)`);
    }
    raw = { ...raw, campaignId: options.id };
  }
  const valid = await validateCampaign(raw, {
    inputDir: options.inputDir,
    ...(options.endpoints && { endpoints: options.endpoints }),
  });
  if (!valid.ok) {
    throw new UsageError(valid.issues.map((i) => `${shown}: ${i.path}: ${i.message}`).join('\n'));
  }
  return valid;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The numbers the bar and the progress lines show. */
export function progressOf(view: CampaignStatusView) {
  const { counts, totals } = view;
  return {
    done: counts.completed + counts.failed + counts.skipped,
    total: view.itemCount,
    running: counts.running,
    failed: counts.failed,
    turnsPerSecond: view.turnsPerSecond.toFixed(2),
    tokens: totals.inputTokens + totals.outputTokens,
    cost: `$${totals.costUsd.toFixed(4)}`,
    // Not `eta`: cli-progress fills that token with its own estimate.
    etaText: view.etaMs === undefined ? '?' : duration(view.etaMs),
    status: view.status,
  };
}

/** One line of progress, for output that is not a terminal. */
export function progressLine(view: CampaignStatusView): string {
  const p = progressOf(view);
  return (
    `${p.status} ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed · ` +
    `${p.turnsPerSecond} turns/s · ${p.tokens} tokens · ${p.cost} · ETA ${p.etaText}`
  );
}

/** The closing lines: how the campaign ended and where its dataset is. */
export function formatEnd(view: CampaignStatusView, store: OutputStore): string[] {
  const { counts, totals } = view;
  return [
    `campaign ${view.campaignId} ${view.status}${view.stopReason ? ` (${view.stopReason})` : ''}: ` +
      `${counts.completed} completed, ${counts.failed} failed, ${counts.skipped} skipped of ${view.itemCount} · ` +
      `${totals.turns} turns · ${totals.inputTokens + totals.outputTokens} tokens · $${totals.costUsd.toFixed(4)} · ` +
      duration(view.elapsedMs),
    ...(view.failure ? [`failed: ${view.failure.message}`] : []),
    `dataset: ${store.location(campaignKey(view.campaignId))}`,
  ];
}

const usd = (value: number) => `$${value.toFixed(4)}`;
const count = (value: number) => value.toLocaleString('en-US');

/** The estimate as the CLI prints it: one line per figure, the bound and the expected value side by side. */
export function formatEstimate(campaignId: string, e: CampaignEstimate): string[] {
  // With a pilot or past runs, the expected figures are the measured ones below; these are the assumptions'.
  const expected = e.basis === 'assumptions' ? 'expected' : 'assumed';
  const wall = (seconds: number | null, what: string) =>
    seconds === null ? `${what}: -` : `${what}: ${duration(seconds * 1000)}`;
  return [
    `campaign ${campaignId}: ${count(e.items)} conversations, up to ${count(e.turns.max)} turns (nothing started)`,
    `model calls: at most ${count(e.modelCalls.max)}, ${expected} ${count(e.modelCalls.expected)} ` +
      `(cloud ${count(e.modelCalls.bySide.cloud)}, local ${count(e.modelCalls.bySide.local)}` +
      `${e.modelCalls.bySide.judge ? `, judge ${count(e.modelCalls.bySide.judge)}` : ''} at most)`,
    `tokens: at most ${count(e.tokens.max.total)} (${count(e.tokens.max.input)} in, ${count(e.tokens.max.output)} out), ` +
      `${expected} ${count(e.tokens.expected.total)}`,
    `cost: at most ${usd(e.costUsd.max)}, ${expected} ${usd(e.costUsd.expected)}` +
      (e.costUsd.unpricedModels.length
        ? ` (no price for ${e.costUsd.unpricedModels.join(', ')}: counted 0)`
        : ''),
    `wall time: ${wall(e.wallTime.atCapsSeconds, 'the least the caps allow')}, ${wall(e.wallTime.measuredSeconds, 'at the measured rates')}`,
    ...(e.budget ? [`budget: ${JSON.stringify(e.budget)} (the campaign stops there)`] : []),
    ...e.assumptions.map((a) => `  · ${a}`),
    ...expectedLines(e),
  ];
}

/** `12,345 (11,000–13,700)` */
function interval(i: Interval, format: (n: number) => string = count): string {
  return `${format(i.expected)} (${format(i.low)}–${format(i.high)})`;
}

/** The expected figures, each with its interval, and where they come from. */
function expectedLines(e: CampaignEstimate): string[] {
  const x = e.expected;
  const round = (n: number) => count(Math.round(n));
  const lines = [
    `expected (interval), from ${estimateBasisText({ basis: e.basis, from: e.measured?.from ?? [], ...(e.measured?.pilot && { pilot: e.measured.pilot }) })}:`,
    `  turns: ${interval(x.turns, round)}`,
    `  tokens: cloud ${interval(x.tokens.cloud.input, round)} in, ${interval(x.tokens.cloud.output, round)} out; ` +
      `local ${interval(x.tokens.local.input, round)} in, ${interval(x.tokens.local.output, round)} out` +
      (e.measured ? `; total ${interval(e.measured.tokens.total, round)}` : ''),
    ...(e.measured ? [`  resamples: ${interval(e.measured.resamples, round)}`] : []),
    `  cost: ${interval(x.costUsd, usd)}`,
    `  wall time: ${x.wallTimeSeconds ? interval(x.wallTimeSeconds, (s) => duration(s * 1000)) : '-'}` +
      (e.measured?.secondsPerTurn
        ? ` (${count(e.items - e.measured.doneItems)} items to run, at ` +
          `${(e.measured.secondsPerTurn.a + e.measured.secondsPerTurn.b).toFixed(2)}–` +
          `${(e.measured.secondsPerTurn.a + e.measured.secondsPerTurn.b * Math.max(1, e.measured.secondsPerTurn.maxObservedLoad)).toFixed(2)} s a turn ` +
          `from 1 to ${e.measured.secondsPerTurn.maxObservedLoad.toFixed(1)} conversations at once)`
        : ''),
  ];
  if (e.measured?.pilot) {
    lines.push(
      `the campaign started after this estimate takes the pilot's ${e.measured.doneItems} completed items over ` +
        '(no model call repeated)',
    );
  }
  return lines;
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  tty: boolean;
}

/** The live bar on a terminal; otherwise a line whenever the progress changes. */
function progressDisplay(io: Io) {
  let bar: SingleBar | undefined;
  let lastLine = '';
  return {
    update(view: CampaignStatusView) {
      if (!io.tty) {
        const line = progressLine(view);
        if (line !== lastLine) io.out(line);
        lastLine = line;
        return;
      }
      const p = progressOf(view);
      if (!bar) {
        bar = new SingleBar({
          format:
            '{status} [{bar}] {value}/{total} · {running} running · {failed} failed · {turnsPerSecond} turns/s · ' +
            '{tokens} tokens · {cost} · ETA {etaText}',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
        });
        bar.start(p.total, p.done, p);
      }
      bar.setTotal(p.total);
      bar.update(p.done, p);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * Polls the campaignStatus query and shows progress until the campaign's workflow closes (or `detach` fires);
 * resolves with the last status (queried once more after the close, when a worker answers). Throws what
 * `handle.result()` throws when the workflow did not complete.
 */
export async function follow(
  client: Pick<Client, 'withDeadline'>,
  handle: WorkflowHandle,
  pollMs: number,
  io: Io,
  detach?: AbortSignal,
): Promise<CampaignStatusView | undefined> {
  const display = progressDisplay(io);
  try {
    const followed = await followWorkflow({
      client,
      handle,
      query: campaignStatusQuery,
      pollMs,
      onAnswer: (view) => display.update(view),
      onNoAnswer: () => io.err('… no worker answers the campaignStatus query yet (is the worker running?)'),
      ...(detach && { detach }),
      queryAfterClose: true,
    });
    if (!followed.detached) await followed.result;
    return followed.last;
  } finally {
    display.stop();
  }
}

async function withClient<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS }).catch((err: unknown) => {
    throw new Error(
      `cannot reach Temporal at ${config.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS): ${messageOf(err)}`,
    );
  });
  try {
    return await fn(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }));
  } finally {
    await connection.close();
  }
}

const SIGNALS = { pause: pauseCampaignSignal, resume: resumeCampaignSignal, cancel: cancelCampaignSignal };

async function sendSignal(
  client: Client,
  action: keyof typeof SIGNALS,
  campaignId: string,
  io: Io,
): Promise<number> {
  const handle = client.workflow.getHandle(campaignWorkflowId(campaignId));
  try {
    await handle.signal(SIGNALS[action]);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    const status = await handle.describe().then(
      (d) => d.status.name,
      () => undefined,
    );
    io.err(
      status
        ? `campaign: ${campaignId} has already finished (${status})`
        : `campaign: no campaign with id ${campaignId}`,
    );
    return 1;
  }
  io.out(`${action} sent to campaign ${campaignId}`);
  return 0;
}

/** Follows the campaign until it closes, Ctrl-C detaching; returns the exit code. */
async function attach(
  client: Client,
  config: Config,
  campaignId: string,
  pollMs: number,
  io: Io,
): Promise<number> {
  const handle = client.workflow.getHandle(campaignWorkflowId(campaignId));
  const detach = new AbortController();
  const onInterrupt = () => detach.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const view = await follow(client, handle, pollMs, io, detach.signal);
    if (detach.signal.aborted) {
      io.err(
        `detached: campaign ${campaignId} goes on. Follow it again with: npm run campaign -- attach ${campaignId}`,
      );
      return 130;
    }
    const store = openOutputStore(config);
    if (view) formatEnd(view, store).forEach(io.out);
    else io.out(`campaign ${campaignId} has ended`);
    const compared = (await readManifest(store, campaignId))?.estimate;
    if (compared) io.out(estimateRatioLine(compared));
    return 0;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      io.err(`campaign: no campaign with id ${campaignId}`);
      return 1;
    }
    const closed = unsuccessfulCloseOf(err);
    if (!closed) throw err;
    io.err(`campaign ${campaignId} ${closed.status}: ${closed.error.type}: ${closed.error.message}`);
    return 1;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** `--estimate`, with a pilot run first when asked: prints the estimate, records it for the campaign. */
async function estimate(
  config: Config,
  campaign: ValidCampaign,
  command: Extract<CampaignCommand, { kind: 'estimate' }>,
  io: Io,
): Promise<number> {
  const store = openOutputStore(config);
  const settings = estimateSettingsFromConfig(config);
  const print = ({ estimate, recorded }: Awaited<ReturnType<typeof runEstimate>>) => {
    formatEstimate(campaign.campaignId, estimate).forEach(io.out);
    io.out(
      recorded
        ? `recorded in ${store.location(campaignKey(campaign.campaignId, 'estimate.json'))}: start the campaign ` +
            'with the same spec and it is compared with this estimate'
        : 'not recorded: the campaign has started already, or a pilot estimate of this spec is recorded',
    );
    return 0;
  };
  if (command.pilot === undefined) {
    return print(await runEstimate({ campaign, settings, store, rates: command.rates }));
  }
  const size = pilotSizeOf(campaign, command.pilot);
  if (!size.ok) {
    io.err(`campaign: --pilot: ${size.message}`);
    return 2;
  }
  io.out(
    `pilot: ${size.items} of ${campaign.items.length} items (every pair and grid cell), run for real at ` +
      `concurrency ${Math.min(concurrencyOf(campaign), size.items)}…`,
  );
  return withClient(config, async (client) =>
    print(
      await runEstimate({
        campaign,
        settings,
        store,
        rates: command.rates,
        pilot: {
          client,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          inputDir: config.INPUT_DIR,
          size: size.items,
          follow: (handle, pilotId) => {
            io.out(`pilot campaign ${pilotId} (follow it alone with: npm run campaign -- attach ${pilotId})`);
            return follow(client, handle, command.pollMs, io);
          },
        },
      }),
    ),
  );
}

async function main(argv: string[]): Promise<number> {
  const io: Io = {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    tty: Boolean(process.stdout.isTTY),
  };
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    io.err(`campaign: ${messageOf(err)}`);
    return 1;
  }
  let command: CampaignCommand;
  let campaign: ValidCampaign | undefined;
  try {
    command = parseCampaignArgs(argv);
    if (command.kind === 'start' || command.kind === 'estimate') {
      // `npm run` works in the package's folder; a relative spec path means the folder the user typed it in.
      const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), command.specFile);
      campaign = await loadSpecFile(file, {
        inputDir: config.INPUT_DIR,
        endpoints: loadModelEndpoints(config, config.MODEL_ENDPOINTS_FILE),
        ...(command.id === undefined ? {} : { id: command.id }),
      });
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`campaign: ${err.message}\nRun \`npm run campaign -- --help\` for the options.`);
    return 2;
  }
  if (command.kind === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command.kind === 'estimate') return estimate(config, campaign!, command, io);

  return withClient(config, async (client) => {
    if (command.kind === 'signal') return sendSignal(client, command.action, command.campaignId, io);
    if (command.kind === 'attach') return attach(client, config, command.campaignId, command.pollMs, io);
    const planIssues = await writeCampaignPlan(openOutputStore(config), campaign!);
    if (planIssues.length > 0) {
      io.err(planIssues.map((i) => `campaign: ${i.path}: ${i.message}`).join('\n'));
      return 2;
    }
    const started = await startCampaign(client, config.TEMPORAL_TASK_QUEUE, campaign!);
    if (started.existing && started.sameSpec === false) {
      io.err(
        `campaign: ${started.campaignId} exists with another spec: give this one another campaignId (--id)`,
      );
      return 2;
    }
    const ui = new URL(
      `/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(started.workflowId)}`,
      config.TEMPORAL_UI_URL,
    );
    io.out(
      started.existing
        ? `campaign ${started.campaignId} exists (${started.status}): nothing new started`
        : `campaign ${started.campaignId} started: ${campaign!.items.length} conversations`,
    );
    io.out(`Web UI: ${ui.toString()}`);
    if (command.detach) {
      io.out(`follow it with: npm run campaign -- attach ${started.campaignId}`);
      return 0;
    }
    io.out('Ctrl-C leaves it running.');
    return attach(client, config, started.campaignId, command.pollMs, io);
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      console.error(`campaign: ${messageOf(err)}${cause}`);
      process.exit(1);
    },
  );
}
