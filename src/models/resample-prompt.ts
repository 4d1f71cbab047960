/**
 * Asking the local model again for a question after the novelty guard refused one (see
 * src/conversation/workflows/novelty.ts). Both kinds of model see the whole conversation already; what a resample
 * adds goes at the very end of the prompt, so the prompt before it stays the one the server has cached. A chat model
 * reads the questions asked so far as a list after its usual message. A base model continues text, and a list of
 * questions in its prompt is one more thing to copy; so its new question is started for it with an opening word
 * other than the refused question's ("What", "How", …), which it then completes. Pure: free of Node built-ins.
 */

/**
 * Questions listed for a chat model are cut to this many characters each, and at most LISTED_QUESTIONS are listed
 * (the latest ones; the model sees the whole conversation besides): the note fits in the room the conversation's
 * context window keeps for it (context-window.ts).
 */
const LISTED_CHARS = 150;
const LISTED_QUESTIONS = 4;

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

function unique(texts: readonly string[]): string[] {
  return [...new Set(texts.map((t) => t.trim()))];
}
