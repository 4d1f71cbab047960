/**
 * What the Temporal Web UI shows about a conversation. Pure (no Node built-ins): the starter sets these as the
 * workflow's static summary and details, and the workflow repeats the summary in its current details, because a
 * run that continued-as-new has no static summary of its own.
 */
import type { ConversationInput } from '../contracts/conversation';

const SUMMARY_QUERY_CHARS = 60;

/** One line for the Web UI's workflow list and header: the start of the query and the two models. */
export function staticSummary(input: ConversationInput): string {
  const query = oneLine(input.initialQuery);
  const start = query.length > SUMMARY_QUERY_CHARS ? `${query.slice(0, SUMMARY_QUERY_CHARS - 1)}…` : query;
  return `"${start}" · cloud ${input.cloud?.model ?? '(default)'} ⇄ local ${input.local?.model ?? '(default)'}`;
}

/** Markdown for the Web UI's details: the options the run was started with. */
export function staticDetails(input: ConversationInput): string {
  const rows: [string, unknown][] = [
    ['initial query', oneLine(input.initialQuery)],
    ['max turns', input.maxTurns],
    ['timeout (minutes)', input.timeoutMinutes],
    ['cloud', input.cloud],
    ['local', input.local],
    ['stop phrases', input.stopPhrases],
    ['novelty', input.novelty],
    ['repetition threshold / window', [input.repetitionThreshold, input.repetitionWindow]],
    ['delay between turns (ms)', input.delayBetweenTurnsMs],
    ['output file', input.outputFile],
  ];
  return rows
    .filter(
      ([, value]) => value !== undefined && !(Array.isArray(value) && value.every((v) => v === undefined)),
    )
    .map(([name, value]) => `- **${name}**: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
