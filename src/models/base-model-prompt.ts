/**
 * Prompting a base (pretrained, not instruction-tuned) model served by Ollama, such as the gemma3:270m that setup
 * imports. Such a model has no chat template, and pushed through one it loops; it continues text well, so it gets
 * a question-and-answer transcript ending with the next label, through `/api/generate` with `raw: true`.
 * Shared by the worker's local side and the Lambda's Ollama provider; free of Node built-ins for the Lambda bundle.
 */
import type { Options } from 'ollama';

export const QUESTION = 'Question';
export const ANSWER = 'Answer';
export type Label = typeof QUESTION | typeof ANSWER;

/** The transcript's first line when the caller gives no system prompt of its own. */
export const DEFAULT_FRAMING =
  'Below is a conversation in which a curious student asks an expert questions, each one new and short, ' +
  'and the expert answers each in two or three sentences.';

/**
 * True when Ollama's template for a model adds text of its own. An import without TEMPLATE gets Ollama's
 * `{{ .Prompt }}`, which passes the prompt through; a chat template has literal role markers or turn delimiters
 * between its actions.
 */
export function hasChatTemplate(template: string | undefined): boolean {
  return (template ?? '').replace(/\{\{[\s\S]*?\}\}/g, '').trim() !== '';
}

/**
 * `hasChatTemplate` for a model, asked of Ollama (`/api/show`) once per model for the life of the process; a
 * failed look-up (Ollama down, unknown model) is not remembered, so the next call asks again.
 */
export function chatTemplateCheck(
  show: (request: { model: string }) => Promise<{ template?: string }>,
): (model: string) => Promise<boolean> {
  const verdicts = new Map<string, Promise<boolean>>();
  return (model) => {
    let verdict = verdicts.get(model);
    if (!verdict) {
      verdict = show({ model }).then((info) => hasChatTemplate(info.template));
      verdicts.set(model, verdict);
      verdict.catch(() => verdicts.delete(model));
    }
    return verdict;
  };
}

/** One line per turn, the label first. */
export function dialogue(lines: readonly { label: Label; text: string }[]): string {
  return lines.map((l) => `${l.label}: ${l.text.replace(/\s+/g, ' ').trim()}`).join('\n');
}

/** The framing text, the body (usually a `dialogue`), then the label the model continues after. */
export function transcriptPrompt(framing: string, body: string, next: Label): string {
  return `${framing.trim()}\n\n${body.trim()}\n${next}:`;
}

/** A question and the answer it got. */
export interface Exchange {
  question: string;
  answer: string;
}

/**
 * The next question after the conversation so far (`exchanges`, oldest first): the framing, then each exchange as
 * its `Question:` and `Answer:` lines, or, with a `template` (a conversation's questionTemplate), as the template's
 * text (after the question's `Question:` line but for the first exchange), ending with the label the model
 * continues. Append-only: the
 * prompt after one more exchange starts with this one's exact text.
 */
export function nextQuestionPrompt(input: {
  exchanges: readonly Exchange[];
  framing?: string;
  template?: (exchange: Exchange) => string;
}): string {
  const { template } = input;
  const parts = input.exchanges.map((e, i) => {
    if (!template) {
      return dialogue([
        { label: QUESTION, text: e.question },
        { label: ANSWER, text: e.answer },
      ]);
    }
    const rendered = template(e).trim();
    return i === 0 ? rendered : `${dialogue([{ label: QUESTION, text: e.question }])}\n${rendered}`;
  });
  return transcriptPrompt(input.framing ?? DEFAULT_FRAMING, parts.join('\n'), QUESTION);
}

/** The next answer to a chat history: user turns are the questions, assistant turns the answers. */
export function nextAnswerPrompt(
  messages: readonly { role: 'user' | 'assistant'; content: string }[],
  framing = DEFAULT_FRAMING,
): string {
  const lines = messages.map(
    (m) => ({ label: m.role === 'user' ? QUESTION : ANSWER, text: m.content }) as const,
  );
  return transcriptPrompt(framing, dialogue(lines), ANSWER);
}

/**
 * The turn ends at a blank line or where the model starts the next turn. Not at any line break: about one
 * continuation in ten starts with one.
 */
export const STOP_SEQUENCES = ['\n\n', `${QUESTION}:`, `${ANSWER}:`];

export interface SamplingInput {
  maxTokens: number;
  temperature?: number;
  topP?: number;
}

/**
 * Sampling for a transcript continuation in the fields every API has: what an OpenAI-compatible server's
 * completions call takes.
 */
export function completionSampling({ maxTokens, temperature, topP }: SamplingInput) {
  return { maxTokens, temperature: temperature ?? 0.8, topP: topP ?? 0.9, stop: [...STOP_SEQUENCES] };
}

/**
 * The same sampling as Ollama's options, with what only its API has. The repeat penalty only counts where Ollama
 * serves the model with its llama.cpp runner: its own engine, which v0.11 uses for Gemma 3, ignores it.
 */
export function completionOptions(input: SamplingInput): Partial<Options> {
  const { maxTokens, temperature, topP, stop } = completionSampling(input);
  return {
    num_predict: maxTokens,
    temperature,
    top_k: 40,
    top_p: topP,
    repeat_penalty: 1.15,
    repeat_last_n: 64,
    stop,
  };
}

/**
 * The model's turn, trimmed, and ended where it starts to repeat itself: with no repeat penalty in effect (Ollama's
 * engine ignores it for Gemma 3), a small base model that repeats a phrase goes on repeating it until the token
 * limit. The stop sequences catch a label only with its colon: when the model starts the next turn with a bare label
 * (say "Question" then a blank line), the label is left at the end, and is cut too.
 */
export function completionText(response: string): string {
  return untilRepetition(response)
    .replace(/(^|[.!?"”)\n])\s*(?:Question|Answer)\s*$/, '$1')
    .replace(/[\s,;:]+$/, '')
    .trim();
}

/**
 * Cuts the text before the first clause (between `. ! ? , ;` or line breaks) that says again what the text already
 * said: the same words, or mostly word trigrams already used (before it, or earlier in the clause itself). Measured on the seed conversation, the loops of
 * gemma3:270m vary a phrase ("a new product for a new customer, a new product for a new industry, or a new product
 * for a new customer") rather than copy a sentence word for word.
 */
function untilRepetition(text: string): string {
  const said = new Set<string>();
  const seen = new Set<string>();
  for (const clause of text.matchAll(/[^.!?,;\n]+[.!?,;\n]*/g)) {
    const words = clause[0]
      .toLowerCase()
      .split(/[^\p{L}\p{N}']+/u)
      .filter((w) => w !== '');
    if (words.length === 0) continue;
    const key = words.join(' ');
    const grams = words.slice(2).map((w, i) => `${words[i]} ${words[i + 1]} ${w}`);
    // Trigrams used before, in earlier clauses or earlier in this one (a loop with no punctuation).
    const inClause = new Set<string>();
    const repeated = grams.filter((g) => {
      const again = seen.has(g) || inClause.has(g);
      inClause.add(g);
      return again;
    }).length;
    if (clause.index > 0 && (said.has(key) || (grams.length >= 2 && repeated * 2 > grams.length))) {
      return text.slice(0, clause.index);
    }
    said.add(key);
    grams.forEach((g) => seen.add(g));
  }
  return text;
}

/** A question the model wrote, without the answer it may have gone on to give itself. */
export function firstQuestion(response: string): string {
  const text = completionText(response);
  const end = text.indexOf('?');
  return end === -1 ? text : text.slice(0, end + 1);
}
