/**
 * `npm run converse -- "query" --turns 3 --out x.csv`: starts a conversation (the same start as the API),
 * prints each turn as it completes, sends `stop` on Ctrl-C (the run still exports), and ends by printing
 * where the CSV and JSONL are and why the conversation ended.
 */
import { startTelemetry } from '../shared/telemetry';
import { clientTracingInterceptors } from '../shared/telemetry/temporal';
import { Client, Connection } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { followWorkflow } from './follow';
import { loadConfig } from '../shared/config';
import type { Config } from '../shared/config';
import { inputSchemas, stopSignal, transcriptQuery } from '../contracts/conversation';
import type { ConversationInput, ConversationResult, TranscriptState, Turn } from '../contracts/conversation';
import { startConversation, withConfigDefaults } from '../conversation/start';
import type { ConversationHandle, StartConfig } from '../conversation/start';

export const USAGE = `Usage: npm run converse -- "<initial query>" [options]

Starts a conversation between the cloud and the local model, shows each turn as it completes, and prints
where the CSV and JSONL were written. Ctrl-C stops after the current turn (what was said is still exported);
a second Ctrl-C leaves without waiting.

Options (defaults from the environment / .env, as for the services):
  -n, --turns <1..200>            turns to run (default CONVERSATION_MAX_TURNS)
  -o, --out <name.csv>            CSV name inside OUTPUT_DIR (default <conversation id>.csv)
      --id <conversationId>       workflow id (default conversation-<uuid>); an existing id shows that run
      --timeout <minutes>         the conversation's timeout (default CONVERSATION_TIMEOUT_MINUTES)
      --delay <ms>                pause between turns, in milliseconds (default 0)
      --cloud-model <id>          cloud model (default: the cloud side's BEDROCK_MODEL_ID)
      --cloud-system <text>       cloud system prompt (persona)
      --cloud-temperature <0..1>  cloud sampling temperature
      --cloud-max-tokens <n>      cloud answer length (default CLOUD_MAX_TOKENS)
      --local-model <name>        Ollama model (default OLLAMA_MODEL)
      --local-system <text>       local system prompt (persona)
      --local-temperature <0..2>  local sampling temperature
      --local-max-tokens <n>      local question length (default LOCAL_MAX_TOKENS)
      --question-template <text>  how the local model is asked for the next question; must contain {answer}
                                  ({question} is the question that was answered)
      --stop-phrase <text>        end when either side says it (repeatable)
      --repetition-threshold <x>  similarity (0.5..1) at which near-identical messages end the run (0.9)
      --repetition-window <n>     earlier messages each new one is compared with; 0 (default) turns it off; try 4
      --no-novelty                accept repeated questions and answers instead of asking again (novelty: false)
      --poll <ms>                 how often progress is polled (default 1000)
      --detach                    start the run, print its id and leave
  -h, --help                      this help

Exit codes: 0 finished (any end reason but error), 1 failed, 2 bad arguments, 130 left with a second Ctrl-C.`;

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type CliCommand =
  { kind: 'help' } | { kind: 'run'; input: ConversationInput; pollMs: number; detach: boolean };

const OPTIONS = {
  turns: { type: 'string', short: 'n' },
  out: { type: 'string', short: 'o' },
  id: { type: 'string' },
  timeout: { type: 'string' },
  delay: { type: 'string' },
  'cloud-model': { type: 'string' },
  'cloud-system': { type: 'string' },
  'cloud-temperature': { type: 'string' },
  'cloud-max-tokens': { type: 'string' },
  'local-model': { type: 'string' },
  'local-system': { type: 'string' },
  'local-temperature': { type: 'string' },
  'local-max-tokens': { type: 'string' },
  'question-template': { type: 'string' },
  'stop-phrase': { type: 'string', multiple: true },
  'repetition-threshold': { type: 'string' },
  'repetition-window': { type: 'string' },
  'no-novelty': { type: 'boolean' },
  poll: { type: 'string' },
  detach: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Which flag sets which input field, so a validation error names the flag the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  initialQuery: 'the query (first argument)',
  maxTurns: '--turns',
  outputFile: '--out',
  conversationId: '--id',
  timeoutMinutes: '--timeout',
  delayBetweenTurnsMs: '--delay',
  'cloud.model': '--cloud-model',
  'cloud.systemPrompt': '--cloud-system',
  'cloud.temperature': '--cloud-temperature',
  'cloud.maxTokens': '--cloud-max-tokens',
  'local.model': '--local-model',
  'local.systemPrompt': '--local-system',
  'local.temperature': '--local-temperature',
  'local.maxTokens': '--local-max-tokens',
  'local.questionTemplate': '--question-template',
  stopPhrases: '--stop-phrase',
  repetitionThreshold: '--repetition-threshold',
  repetitionWindow: '--repetition-window',
  novelty: '--no-novelty',
};

/**
 * Parses the arguments (after `converse`) into a validated workflow input with the config's defaults.
 * Throws UsageError naming the flag at fault.
 */
export function parseCliArgs(argv: string[], config: StartConfig): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length === 0) throw new UsageError('the initial query is missing (the first argument)');
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one query, got ${positionals.length} arguments: quote the query, e.g. "Tell me about X"`,
    );
  }

  const num = (flag: keyof typeof OPTIONS): number | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(value))
      throw new UsageError(`--${flag} must be a number (got ${JSON.stringify(raw)})`);
    return value;
  };
  const defined = <T extends object>(o: T): T | undefined => {
    const entries = Object.entries(o).filter(([, v]) => v !== undefined);
    return entries.length ? (Object.fromEntries(entries) as T) : undefined;
  };

  const raw: ConversationInput = {
    initialQuery: positionals[0]!,
    ...defined({
      maxTurns: num('turns'),
      // `./x.csv` means the same as `x.csv` here: the name is always inside OUTPUT_DIR.
      outputFile: values.out?.replace(/^(\.\/)+/, ''),
      conversationId: values.id,
      timeoutMinutes: num('timeout'),
      delayBetweenTurnsMs: num('delay'),
      stopPhrases: values['stop-phrase'],
      repetitionThreshold: num('repetition-threshold'),
      repetitionWindow: num('repetition-window'),
      novelty: values['no-novelty'] ? false : undefined,
      cloud: defined({
        model: values['cloud-model'],
        systemPrompt: values['cloud-system'],
        temperature: num('cloud-temperature'),
        maxTokens: num('cloud-max-tokens'),
      }),
      local: defined({
        model: values['local-model'],
        systemPrompt: values['local-system'],
        temperature: num('local-temperature'),
        maxTokens: num('local-max-tokens'),
        questionTemplate: values['question-template'],
      }),
    }),
  };
  const checked = inputSchemas().conversationInput.safeParse(withConfigDefaults(raw, config));
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = issue.path.filter((p) => typeof p !== 'number').join('.');
    throw new UsageError(`${FLAG_OF_FIELD[field] ?? field}: ${issue.message}`);
  }
  const pollMs = num('poll') ?? 1000;
  if (pollMs < 100 || pollMs > 60_000) throw new UsageError('--poll must be 100..60000 milliseconds');
  return { kind: 'run', input: checked.data, pollMs, detach: values.detach ?? false };
}

/** A one-line, at most `max` characters, rendition of a model's text. */
export function snippet(text: string, max = 48): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One line per completed turn: its number, each side's latency and the start of what it said. */
export function formatTurn(turn: Turn, maxTurns: number): string {
  const width = String(maxTurns).length;
  return (
    `turn ${String(turn.turn).padStart(width)}/${maxTurns} · ` +
    `cloud ${seconds(turn.cloudLatencyMs)} "${snippet(turn.cloudResponse)}" → ` +
    `local ${seconds(turn.localLatencyMs)} "${snippet(turn.localResponse)}" · ${seconds(turn.processingTimeMs)}`
  );
}

/** The lines to print for a new transcript: turns not printed yet, and a status change. */
export function progressLines(
  transcript: Pick<TranscriptState, 'turns' | 'maxTurns' | 'status'>,
  seen: { turns: number; status?: string },
): string[] {
  const lines = transcript.turns.slice(seen.turns).map((t) => formatTurn(t, transcript.maxTurns));
  seen.turns = Math.max(seen.turns, transcript.turns.length);
  if (transcript.status !== seen.status) {
    if (transcript.status === 'paused')
      lines.push('… paused (POST /conversation/:id/resume or the resume signal)');
    if (transcript.status === 'stopping') lines.push('… stopping after the current turn');
    if (seen.status === 'paused' && transcript.status === 'running') lines.push('… resumed');
    seen.status = transcript.status;
  }
  return lines;
}

/** The closing lines: why it ended and where the files are. */
export function formatEnd(result: ConversationResult): string[] {
  return [
    `ended: ${result.endReason} after ${result.completedTurns} of ${result.maxTurns} turns` +
      (result.completedTurns ? ` (average turn ${seconds(result.averageProcessingTimeMs)})` : ''),
    ...(result.error ? [`error: ${result.error.type}: ${result.error.message}`] : []),
    `CSV:   ${result.csvPath}`,
    `JSONL: ${result.jsonlPath}`,
    ...(result.exportNote ? [`note:  ${result.exportNote}`] : []),
  ];
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Polls the transcript query and prints progress until the workflow result is in. */
export async function follow(
  client: Pick<Client, 'withDeadline'>,
  handle: ConversationHandle,
  taskQueue: string,
  pollMs: number,
  io: Io,
): Promise<ConversationResult> {
  const seen: { turns: number; status?: string } = { turns: 0 };
  const { result } = await followWorkflow({
    client,
    handle,
    query: transcriptQuery,
    pollMs,
    onAnswer: (transcript) => progressLines(transcript, seen).forEach(io.out),
    onNoAnswer: () =>
      io.err(`… no answer from a worker on task queue ${taskQueue} yet (is the worker running?)`),
  });
  const final = (await result) as ConversationResult;
  progressLines({ ...final, status: 'completed' }, seen).forEach(io.out);
  return final;
}

async function main(argv: string[]): Promise<number> {
  const io: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    io.err(`converse: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  let command: CliCommand;
  try {
    command = parseCliArgs(argv, config);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`converse: ${err.message}\nRun \`npm run converse -- --help\` for the options.`);
    return 2;
  }
  if (command.kind === 'help') {
    io.out(USAGE);
    return 0;
  }

  // With tracing on, the conversation's trace starts here (its StartWorkflow span) instead of at the API.
  const telemetry = await startTelemetry('converse-cli');
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS }).catch((err: unknown) => {
    throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS): ${String(err)}`);
  });
  try {
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      interceptors: await clientTracingInterceptors(),
    });
    const { handle, workflowId, runId, status } = await startConversation(
      client,
      config.TEMPORAL_TASK_QUEUE,
      command.input,
    );
    const ui = new URL(
      `/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`,
      config.TEMPORAL_UI_URL,
    );
    io.out(`conversation ${workflowId} (run ${runId}, ${status})`);
    io.out(`Web UI: ${ui.toString()}`);
    if (command.detach) return 0;
    if (status === 'RUNNING') io.out('Ctrl-C stops after the current turn; what was said is still exported.');

    let interrupts = 0;
    const onInterrupt = () => {
      interrupts++;
      if (interrupts > 1) {
        io.err('left without waiting; the conversation goes on in Temporal');
        process.exit(130);
      }
      io.err('… stop requested: finishing the current turn, then exporting (Ctrl-C again to leave)');
      handle.signal(stopSignal).catch((err: unknown) => io.err(`could not send stop: ${String(err)}`));
    };
    process.on('SIGINT', onInterrupt);
    try {
      const result = await follow(client, handle, config.TEMPORAL_TASK_QUEUE, command.pollMs, io);
      formatEnd(result).forEach(io.out);
      return result.endReason === 'error' ? 1 : 0;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  } finally {
    await connection.close();
    await telemetry?.shutdown();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      console.error(`converse: ${err instanceof Error ? err.message : String(err)}${cause}`);
      process.exit(1);
    },
  );
}
