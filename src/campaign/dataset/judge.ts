/**
 * `judgeConversation`: a judge model reads a finished transcript and gives a score from 1 to 10 with a one-line
 * rationale. The local side prompts a base model as one (a transcript and a verdict to continue, see
 * shared/base-model-prompt.ts) or a chat model through its chat API; the cloud side goes through the LLM REST
 * service. A reply with no score is retried (JUDGE_SCORE_ATTEMPTS in all), then recorded as `score: null`.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Turn } from '../../contracts/conversation';
import { cloudFailure } from '../../conversation/activities/cloud';
import { attemptTimeLeftMs } from '../../shared/activity/deadline';
import { withHeartbeats } from '../../shared/activity/heartbeat';
import { localFailure } from '../../conversation/activities/local';
import {
  ANSWER,
  chatTemplateCheck,
  completionOptions,
  dialogue,
  QUESTION,
  type Label,
} from '../../models/base-model-prompt';
import type { JudgeScore, JudgeSpec } from '../../contracts/campaign';
import { CampaignFailureType } from '../../contracts/campaign';
import { filesMissing, toFileFailure } from './errors';
import { readTranscript } from '../../output/transcript-record';
import type { DatasetDeps, JudgeInput } from './types';

/** Replies asked for before the judge's outcome is recorded as no score; the activity's retry policy must allow as many attempts. */
export const JUDGE_SCORE_ATTEMPTS = 3;
const JUDGE_MAX_TOKENS = 80;
/** The transcript shown to the judge: each message cut to this, and the whole kept within the second. */
const MESSAGE_CHARS = 600;
const TRANSCRIPT_CHARS = 6000;
const RATIONALE_CHARS = 200;

export interface Verdict {
  score: number;
  rationale: string;
}

/** Question (the seed, then each local question) and Answer lines, cut to fit a small model's context. */
export function judgeTranscript(turns: readonly Turn[]): string {
  const line = (label: Label, text: string) => ({ label, text });
  const lines = turns.flatMap((t, i) => [
    ...(i === 0 ? [line(QUESTION, t.query)] : []),
    line(ANSWER, t.cloudResponse),
    line(QUESTION, t.localResponse),
  ]);
  let kept = lines.map((l) => ({
    ...l,
    text: l.text.length > MESSAGE_CHARS ? `${l.text.slice(0, MESSAGE_CHARS)}…` : l.text,
  }));
  while (kept.length > 2 && dialogue(kept).length > TRANSCRIPT_CHARS) kept = kept.slice(0, -1);
  return dialogue(kept);
}

const VERDICT_FORMAT = 'Score: N/10 - one line saying why';

/**
 * Reviews a base model can follow, so it sees the verdict filled in rather than described (gemma3:270m copied a
 * described format back: "10 (best)"). Three scores in a mixed order: with two, it copied the last one's verdict.
 * With these it gives a parsable verdict at nearly every first attempt, but on a 270M model the score itself is
 * close to noise (a good and a looping conversation scored alike in 8 tries each): a larger judge model is needed
 * for scores that mean something.
 */
const EXAMPLE_REVIEWS = [
  {
    lines: [
      { label: QUESTION, text: 'How do plants make their food?' },
      { label: ANSWER, text: 'I like turtles. Turtles are slow. Turtles are slow.' },
      { label: QUESTION, text: 'Why turtles?' },
    ],
    verdict: '2/10 - the answer ignores the question and repeats itself.',
  },
  {
    lines: [
      { label: QUESTION, text: 'What is the capital of France?' },
      { label: ANSWER, text: 'Paris is the capital of France; it lies on the Seine.' },
      { label: QUESTION, text: 'How old is the city?' },
      {
        label: ANSWER,
        text: 'Paris was founded more than two thousand years ago by a Celtic people, the Parisii.',
      },
      { label: QUESTION, text: 'What is its best-known building?' },
    ],
    verdict: '9/10 - correct, clear answers, and each question builds on the last.',
  },
  {
    lines: [
      { label: QUESTION, text: 'Why do cats purr?' },
      { label: ANSWER, text: 'Cats purr for many reasons. Cats are animals that people keep as pets.' },
      { label: QUESTION, text: 'Do dogs purr?' },
    ],
    verdict: '5/10 - on topic, but the answer says little.',
  },
] as const;

/** For a base model: a page of reviews, the last one to continue right after `Score:`. */
export function basePrompt(turns: readonly Turn[], rubric: string): string {
  const examples = EXAMPLE_REVIEWS.flatMap((example, i) => [
    `Conversation ${i + 1}:`,
    dialogue(example.lines),
    `Review ${i + 1}: Score: ${example.verdict}`,
    '',
  ]);
  const n = EXAMPLE_REVIEWS.length + 1;
  return [
    'Reviews of conversations between a student who asks questions and an expert who answers them. Each review ' +
      'gives a score out of 10 and one line saying why.',
    `The reviewers judge by this rubric: ${rubric.replace(/\s+/g, ' ').trim()}`,
    '',
    ...examples,
    `Conversation ${n}:`,
    judgeTranscript(turns),
    `Review ${n}: Score:`,
  ].join('\n');
}

/** For a chat model: the rubric and the reply's format as the system prompt, the transcript as the message. */
export function chatPrompt(turns: readonly Turn[], rubric: string): { system: string; user: string } {
  return {
    system:
      `You judge conversations by this rubric: ${rubric.trim()}\n` +
      `Reply with exactly one line: "${VERDICT_FORMAT}", where N is a whole number from 1 (worst) to 10 (best).`,
    user: `${judgeTranscript(turns)}\n\nYour verdict:`,
  };
}

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
/** "7/10", "7 / 10", "7 out of 10" anywhere; "Score: 7", "rating of 7" anywhere; a bare "7" that opens the reply. */
const PATTERNS = [
  new RegExp(String.raw`(?<![\d.])${NUMBER}\s*(?:/|out of)\s*10(?!\.?\d)`, 'i'),
  new RegExp(String.raw`\b(?:score|rating)\s*(?:is|of|:|=)?\s*${NUMBER}(?!\.?\d|\s*/\s*\d)`, 'i'),
  new RegExp(String.raw`^\s*${NUMBER}(?!\.?\d|\s*/\s*\d)`),
];

/** The score (rounded, 1..10) and the rest of its line as the rationale; undefined when the reply has none. */
export function parseVerdict(reply: string): Verdict | undefined {
  const text = reply.replace(/[*_`#]/g, '');
  for (const pattern of PATTERNS) {
    const match = pattern.exec(text);
    if (!match) continue;
    const score = Math.round(Number(match[1]));
    if (!(score >= 1 && score <= 10)) continue;
    const after = text.slice(match.index + match[0].length);
    const line = after
      .replace(/^[\s.,;:)\]–—-]+/, '')
      .split('\n')[0]!
      .trim();
    const rationale = line.length > RATIONALE_CHARS ? `${line.slice(0, RATIONALE_CHARS - 1)}…` : line;
    return { score, rationale };
  }
  return undefined;
}

const excerpt = (text: string) => JSON.stringify(text.replace(/\s+/g, ' ').trim().slice(0, 120));

export function makeJudgeConversation(deps: DatasetDeps) {
  const hasChatTemplate = chatTemplateCheck((request) => deps.ollama.show(request));

  async function askLocal(judge: JudgeSpec, turns: readonly Turn[], signal: AbortSignal): Promise<string> {
    try {
      if (await hasChatTemplate(judge.model)) {
        const prompt = chatPrompt(turns, judge.rubric);
        const res = await deps.ollama.chat(
          {
            model: judge.model,
            messages: [
              { role: 'system', content: prompt.system },
              { role: 'user', content: prompt.user },
            ],
            options: { num_predict: JUDGE_MAX_TOKENS, temperature: 0.2 },
          },
          { signal },
        );
        return res.message.content;
      }
      const res = await deps.ollama.generate(
        {
          model: judge.model,
          raw: true,
          prompt: basePrompt(turns, judge.rubric),
          // One line: the verdict. Sampled, so a retry after a reply with no score reads differently.
          options: { ...completionOptions({ maxTokens: JUDGE_MAX_TOKENS, temperature: 0.4 }), stop: ['\n'] },
        },
        { signal },
      );
      return res.response ?? '';
    } catch (err) {
      throw localFailure(err, judge.model);
    }
  }

  async function askCloud(judge: JudgeSpec, turns: readonly Turn[], started: number): Promise<string> {
    if (!deps.llmService) {
      throw ApplicationFailure.nonRetryable(
        'this worker has no LLM service client for a cloud judge',
        'JudgeUnavailable',
      );
    }
    const context = Context.current();
    const prompt = chatPrompt(turns, judge.rubric);
    try {
      const res = await deps.llmService.generate(
        {
          messages: [{ role: 'user', content: prompt.user }],
          system: prompt.system,
          maxTokens: JUDGE_MAX_TOKENS,
          temperature: context.info.attempt === 1 ? 0 : 0.7,
          model: judge.model,
        },
        { signal: context.cancellationSignal, timeoutMs: attemptTimeLeftMs(context.info, started) },
      );
      return res.response;
    } catch (err) {
      throw cloudFailure(err);
    }
  }

  return async function judgeConversation(input: JudgeInput): Promise<JudgeScore> {
    const started = Date.now();
    const context = Context.current();
    const { judge } = input;
    let turns: Turn[];
    try {
      const key = deps.store.keyOf(input.jsonlPath);
      const transcript = key === undefined ? undefined : await readTranscript(deps.store, key);
      if (!transcript) throw filesMissing(`the transcript ${input.jsonlPath} is missing`);
      turns = transcript.turns;
    } catch (err) {
      throw toFileFailure(err);
    }
    if (turns.length === 0)
      return { score: null, rationale: 'no turns to judge', model: judge.model, attempts: 0 };
    const reply = await withHeartbeats(
      judge.side === 'local'
        ? askLocal(judge, turns, context.cancellationSignal)
        : askCloud(judge, turns, started),
    );
    const attempt = context.info.attempt;
    const verdict = parseVerdict(reply);
    if (verdict) return { ...verdict, model: judge.model, attempts: attempt };
    if (attempt < JUDGE_SCORE_ATTEMPTS) {
      throw ApplicationFailure.retryable(
        `judge ${judge.model} gave no score (attempt ${attempt} of ${JUDGE_SCORE_ATTEMPTS}): ${excerpt(reply)}`,
        CampaignFailureType.JudgeUnparsable,
      );
    }
    return {
      score: null,
      rationale: `no score in the judge's replies after ${attempt} attempts; the last: ${excerpt(reply)}`,
      model: judge.model,
      attempts: attempt,
    };
  };
}
