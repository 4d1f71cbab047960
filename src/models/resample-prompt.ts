/**
 * Asking the local model again for a question after the novelty guard refused one (see
 * src/conversation/workflows/novelty.ts): the model is told which questions were asked already. A chat model reads
 * them as a list in its message. A base model continues text, and a list of questions in its prompt is one more
 * thing to copy; so its transcript's framing says the student never asks the same question twice, and the new
 * question is started for it with an opening word other than the refused question's ("What", "How", …), which it
 * then completes. Pure: shared by the worker's local side and free of Node built-ins.
 */
import { DEFAULT_FRAMING, QUESTION, transcriptPrompt, dialogue, ANSWER } from './base-model-prompt';

/** Questions and answers listed for a chat model are cut to this many characters each. */
const LISTED_CHARS = 300;
/** At most this many earlier questions are listed (the latest ones). */
const LISTED_QUESTIONS = 20;

export interface ResampleContext {
  /** The questions asked so far, the seed first. */
  asked: readonly string[];
  /** The question the guard refused. */
  refused: string;
  /** The resample's number, from 1. */
  attempt: number;
}

const cut = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > LISTED_CHARS ? `${line.slice(0, LISTED_CHARS - 1)}…` : line;
};

/** For a chat model: what follows its usual message. */
export function askedBeforeNote(context: ResampleContext): string {
  const listed = unique([...context.asked, context.refused]).slice(-LISTED_QUESTIONS);
  return (
    'These questions were asked already; ask a different one, about something the answer says that they do ' +
    `not cover:\n${listed.map((q) => `- ${cut(q)}`).join('\n')}`
  );
}

/** Openings of a question, tried in this order; the refused question's own is skipped. */
export const QUESTION_OPENINGS = ['What', 'How', 'Why', 'Which', 'When', 'Where', 'Who', 'Can', 'Is', 'Does'];

/** The opening word for resample `attempt` (from 1): one that none of the refused question's words start. */
export function questionOpening(context: Pick<ResampleContext, 'refused' | 'attempt'>): string {
  const first =
    context.refused
      .trim()
      .split(/\s+/)[0]
      ?.toLowerCase()
      .replace(/[^\p{L}]/gu, '') ?? '';
  const choices = QUESTION_OPENINGS.filter((w) => w.toLowerCase() !== first);
  return choices[(context.attempt - 1) % choices.length]!;
}

/**
 * For a base model: the exchange to follow up on, under a framing that says every question is new, ending in
 * `Question: <opening>` for the model to complete. The caller puts the opening back in front of the completion.
 */
export function resampledQuestionPrompt(input: {
  question: string;
  answer: string;
  framing?: string;
  body?: string;
  context: ResampleContext;
}): { prompt: string; opening: string } {
  const opening = questionOpening(input.context);
  const framing =
    `${(input.framing ?? DEFAULT_FRAMING).trim()} The student never asks the same question twice: each ` +
    'question asks about something new in the last answer.';
  const body =
    input.body ??
    dialogue([
      { label: QUESTION, text: input.question },
      { label: ANSWER, text: input.answer },
    ]);
  return { prompt: `${transcriptPrompt(framing, body, QUESTION)} ${opening}`, opening };
}

function unique(texts: readonly string[]): string[] {
  return [...new Set(texts.map((t) => t.trim()))];
}
