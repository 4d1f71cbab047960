/**
 * What a campaign will cost before it runs: items, model calls, tokens and USD, each as an upper bound and as an
 * expected figure, and the wall time the provider caps (and, when given, a measured model-server rate) allow.
 * Pure: from the expanded items, the price table and the worker's defaults and caps; nothing is started or read.
 *
 * The bound holds for any model: an answer or question is at most its side's maxTokens; text written in the spec
 * (the seed, system prompts, templates) is counted as one token per UTF-8 byte, which no byte-level tokenizer
 * exceeds; each message adds at most TEMPLATE_TOKENS_BOUND for the chat template's markers. The prompt grows with
 * the turn: each side sees the whole conversation (the bound leaves out the cut past an endpoint's contextTokens,
 * which only lowers it), and a local reply asked again also the last few questions asked. The expected figure takes CHARS_PER_TOKEN characters per token,
 * replies of EXPECTED_REPLY_SHARE of maxTokens and no resample, unless a finished campaign's figures are given.
 */
import { DEFAULT_CLOUD_MAX_TOKENS, DEFAULT_LOCAL_MAX_TOKENS, DEFAULT_MAX_TURNS } from '../contracts/limits';
import { DEFAULT_LOCAL_SYSTEM_PROMPT, DEFAULT_QUESTION_TEMPLATE } from '../contracts/conversation-input';
import { noveltySettings } from '../conversation/workflows/novelty';
import type { NoveltyOption } from '../contracts/conversation';
import { DEFAULT_FRAMING } from '../models/base-model-prompt';
import type { ModelPrices } from '../models/prices';
import type { CampaignItem, JudgeSpec } from '../contracts/campaign';
import type { EstimateBasis, ExpectedFigures, Interval } from '../contracts/campaign-estimate';
import type { MeasuredEstimate } from './estimate-measured';

/** Chat-template markers around one message, at most (role headers, turn delimiters). */
export const TEMPLATE_TOKENS_BOUND = 16;
const TEMPLATE_TOKENS_EXPECTED = 4;
/** English text with the tokenizers of current models: 3.5–4.5 characters per token. */
export const CHARS_PER_TOKEN = 4;
/** A reply's expected length as a share of its maxTokens, when no finished campaign tells better. */
export const EXPECTED_REPLY_SHARE = 0.6;
/** The sentence that asks a resample for something new, besides the texts it lists. */
const RESAMPLE_NOTE_TOKENS_BOUND = 64;
/** The questions a local resample lists (resample-prompt.ts's LISTED_QUESTIONS), the refused one besides. */
const LISTED_QUESTIONS = 4;
/** The judge: at most this many replies per conversation, each of at most JUDGE_MAX_TOKENS. */
export const JUDGE_CALLS_BOUND = 3;
export const JUDGE_MAX_TOKENS = 80;
/** The judge's prompt: its worked examples and the rubric, plus the transcript cut to 6000 characters. */
const JUDGE_TRANSCRIPT_CHARS = 6000;
const JUDGE_EXAMPLES_CHARS = 1200;

export type Side = 'cloud' | 'local';

export interface SideCaps {
  /** 0: no limit (as in the worker's configuration). */
  maxConcurrentCalls: number;
  maxCallsPerSecond: number;
  /** Cloud only. */
  maxTokensPerMinute?: number;
}

/** A model server's measured throughput, all its calls together. */
export interface MeasuredRate {
  outputTokensPerSecond: number;
  /** Prompt processing; unset: prompts are taken as free next to generation. */
  promptTokensPerSecond?: number;
}

/** Figures of a finished campaign, to make the expected figure from instead of the defaults. */
export interface ObservedFigures {
  /** Mean output tokens of one reply, per side. */
  replyTokens?: Partial<Record<Side, number>>;
  /** Resamples per reply (0.3: three in ten replies were asked again once). */
  resamplesPerReply?: number;
  /** Turns per conversation, on average (conversations that end early). */
  turnsPerConversation?: number;
}

export interface EstimateInput {
  items: readonly CampaignItem[];
  /** Conversations at once: the spec's `concurrency` or its default. */
  concurrency: number;
  novelty?: NoveltyOption;
  judge?: JudgeSpec;
  budget?: { maxTokens?: number; maxCostUsd?: number };
  prices: ModelPrices;
  /** What a conversation gets when it sets nothing: the worker's configuration. */
  defaults: { cloudModel?: string; localModel: string; cloudMaxTokens?: number; localMaxTokens?: number };
  caps: Record<Side, SideCaps>;
  measured?: Partial<Record<Side, MeasuredRate>>;
  observed?: ObservedFigures;
}

export interface TokenFigures {
  input: number;
  output: number;
  total: number;
}

export interface ModelEstimate {
  side: Side | 'judge';
  model: string;
  calls: number;
  max: TokenFigures;
  expected: TokenFigures;
  /** USD, from MODEL_PRICES_FILE; null when the model has no price there. */
  maxCostUsd: number | null;
  expectedCostUsd: number | null;
}

export interface CampaignEstimate {
  items: number;
  turns: { max: number; expected: number };
  modelCalls: { max: number; expected: number; bySide: Record<Side | 'judge', number> };
  tokens: { max: TokenFigures; expected: TokenFigures };
  /** Priced models only; `unpricedModels` lists those MODEL_PRICES_FILE has no price for (counted as 0). */
  costUsd: { max: number; expected: number; unpricedModels: string[] };
  byModel: ModelEstimate[];
  wallTime: {
    /** The least time the provider caps allow for the expected calls and tokens; null when no cap limits it. */
    atCapsSeconds: number | null;
    /** With the measured model-server rates (and the caps): null without a measured rate for each side used. */
    measuredSeconds: number | null;
  };
  /** The campaign's budget stops it before these figures when they exceed it. */
  budget?: { maxTokens?: number; maxCostUsd?: number };
  assumptions: string[];
  /** Where `expected` comes from; with a pilot or past runs, `measured` holds their figures. */
  basis: EstimateBasis;
  measured?: MeasuredEstimate & {
    /** The campaigns the figures were measured on. */
    from: string[];
    pilot?: { campaignId: string; items: number };
  };
  /** What the campaign is expected to spend, each figure with an interval: recorded for the comparison after it. */
  expected: ExpectedFigures;
}

const encoder = new TextEncoder();
const boundTokens = (text: string) => encoder.encode(text).length;
const expectedTokens = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

/** A text's tokens, as bound and as expected. */
interface Sized {
  max: number;
  expected: number;
}
const sized = (text: string): Sized => ({ max: boundTokens(text), expected: expectedTokens(text) });
const add = (...parts: Sized[]): Sized => ({
  max: parts.reduce((n, p) => n + p.max, 0),
  expected: parts.reduce((n, p) => n + p.expected, 0),
});
const larger = (a: Sized, b: Sized): Sized => ({
  max: Math.max(a.max, b.max),
  expected: Math.max(a.expected, b.expected),
});
const times = (p: Sized, n: number): Sized => ({ max: p.max * n, expected: p.expected * n });
const messages = (n: number): Sized => ({
  max: TEMPLATE_TOKENS_BOUND * n,
  expected: TEMPLATE_TOKENS_EXPECTED * n,
});

interface Call {
  side: Side | 'judge';
  model: string;
  calls: Sized;
  input: Sized;
  output: Sized;
}

/** The model calls of one conversation, per side: summed over its turns, resamples included. */
function conversationCalls(item: CampaignItem, input: EstimateInput): Call[] {
  const c = item.conversation;
  const maxTurns = c.maxTurns ?? DEFAULT_MAX_TURNS;
  const cloudMax = c.cloud?.maxTokens ?? input.defaults.cloudMaxTokens ?? DEFAULT_CLOUD_MAX_TOKENS;
  const localMax = c.local?.maxTokens ?? input.defaults.localMaxTokens ?? DEFAULT_LOCAL_MAX_TOKENS;
  const share = (side: Side, max: number) =>
    input.observed?.replyTokens?.[side] ?? max * EXPECTED_REPLY_SHARE;
  const answer: Sized = { max: cloudMax, expected: share('cloud', cloudMax) };
  const question: Sized = { max: localMax, expected: share('local', localMax) };
  const seed = sized(c.initialQuery);
  const novelty = noveltySettings(input.novelty);
  const resamples = novelty?.maxResamples ?? 0;
  const expectedResamples = novelty ? (input.observed?.resamplesPerReply ?? 0) : 0;

  // Chat models get the system prompt and the rendered template; base models a framing line and Question:/Answer:.
  const cloudFixed = larger(sized(c.cloud?.systemPrompt ?? ''), sized(DEFAULT_FRAMING));
  const template = (c.local?.questionTemplate ?? DEFAULT_QUESTION_TEMPLATE).replace(
    /\{(answer|question)\}/g,
    '',
  );
  const localFixed = larger(
    add(sized(c.local?.systemPrompt ?? DEFAULT_LOCAL_SYSTEM_PROMPT), sized(template)),
    add(sized(c.local?.systemPrompt ?? DEFAULT_FRAMING), sized('Question: \nAnswer: \nQuestion:')),
  );

  let cloudIn: Sized = { max: 0, expected: 0 };
  let localIn: Sized = { max: 0, expected: 0 };
  let cloudResampleIn: Sized = { max: 0, expected: 0 };
  let localResampleIn: Sized = { max: 0, expected: 0 };
  let largestTurn = 0;
  for (let n = 1; n <= maxTurns; n++) {
    const query = n === 1 ? seed : question;
    const window = n - 1;
    // The earlier turns' queries and answers: the seed, then questions.
    const earlier =
      window > 0 ? add(seed, times(question, window - 1), times(answer, window)) : { max: 0, expected: 0 };
    const cloudPrompt = add(cloudFixed, messages(2 * window + 2), earlier, query);
    // The local side: each earlier exchange through the template, and its own questions again as its turns.
    const localPrompt = add(
      localFixed,
      messages(2 * window + 2),
      earlier,
      times(add(sized(template), question), window),
      query,
      answer,
    );
    cloudIn = add(cloudIn, cloudPrompt);
    localIn = add(localIn, localPrompt);
    // A resample also shows the refused reply (cloud), or every question asked so far (local), and a note.
    const note: Sized = { max: RESAMPLE_NOTE_TOKENS_BOUND, expected: RESAMPLE_NOTE_TOKENS_BOUND / 2 };
    const cloudResample = add(cloudPrompt, note, larger(answer, query));
    const localResample = add(localPrompt, note, times(question, Math.min(n, LISTED_QUESTIONS + 1)));
    cloudResampleIn = add(cloudResampleIn, cloudResample);
    localResampleIn = add(localResampleIn, localResample);
    const turnMax =
      (1 + resamples) * (answer.max + question.max) +
      cloudPrompt.max +
      localPrompt.max +
      resamples * (cloudResample.max + localResample.max);
    largestTurn = Math.max(largestTurn, turnMax);
  }
  const turns: Sized = {
    max: maxTurns,
    expected: Math.min(maxTurns, input.observed?.turnsPerConversation ?? maxTurns),
  };
  const perTurn = (total: Sized) => ({
    max: total.max,
    expected: (total.expected * turns.expected) / maxTurns,
  });
  const resampleCalls: Sized = { max: resamples * maxTurns, expected: expectedResamples * turns.expected };
  const resampleShare = (total: Sized): Sized => ({
    max: total.max * resamples,
    expected: (total.expected / maxTurns) * resampleCalls.expected,
  });
  const cloudModel = c.cloud?.model ?? input.defaults.cloudModel ?? 'cloud default';
  const localModel = c.local?.model ?? input.defaults.localModel;
  const calls: Call[] = (
    [
      ['cloud', cloudModel, cloudIn, cloudResampleIn, answer],
      ['local', localModel, localIn, localResampleIn, question],
    ] as const
  ).map(([side, model, prompts, resamplePrompts, reply]) => ({
    side,
    model,
    calls: add(turns, resampleCalls),
    input: add(perTurn(prompts), resampleShare(resamplePrompts)),
    output: {
      max: reply.max * (maxTurns + resampleCalls.max),
      expected: reply.expected * (turns.expected + resampleCalls.expected),
    },
  }));
  if (input.judge) {
    const transcriptChars = Math.min(
      JUDGE_TRANSCRIPT_CHARS,
      (turns.expected * (answer.expected + question.expected) + seed.expected) * CHARS_PER_TOKEN,
    );
    const fixed = sized(input.judge.rubric);
    calls.push({
      side: 'judge',
      model: input.judge.model,
      calls: { max: JUDGE_CALLS_BOUND, expected: 1 },
      input: {
        max:
          JUDGE_CALLS_BOUND *
          (fixed.max + 3 * (JUDGE_EXAMPLES_CHARS + JUDGE_TRANSCRIPT_CHARS) + TEMPLATE_TOKENS_BOUND * 2),
        expected: fixed.expected + (JUDGE_EXAMPLES_CHARS + transcriptChars) / CHARS_PER_TOKEN,
      },
      output: { max: JUDGE_CALLS_BOUND * JUDGE_MAX_TOKENS, expected: JUDGE_MAX_TOKENS / 2 },
    });
  }
  // A conversation's maxTotalTokens ends it after the turn that reaches it: at most that plus one turn more.
  if (c.maxTotalTokens !== undefined) capConversation(calls, c.maxTotalTokens, largestTurn);
  return calls;
}

/**
 * Scales the conversation's model-call figures down to its maxTotalTokens: the turn that reaches it is the last,
 * so the bound is that plus the largest turn.
 */
function capConversation(calls: Call[], maxTotalTokens: number, largestTurn: number): void {
  const conversational = calls.filter((c) => c.side !== 'judge');
  const total = (k: 'max' | 'expected') => conversational.reduce((n, c) => n + c.input[k] + c.output[k], 0);
  for (const k of ['max', 'expected'] as const) {
    const sum = total(k);
    const limit = k === 'max' ? maxTotalTokens + largestTurn : maxTotalTokens;
    if (sum <= limit) continue;
    const scale = limit / sum;
    for (const c of conversational) {
      c.input[k] *= scale;
      c.output[k] *= scale;
      if (k === 'expected') c.calls.expected *= scale;
    }
  }
}

function figures(input: number, output: number): TokenFigures {
  return { input: Math.ceil(input), output: Math.ceil(output), total: Math.ceil(input) + Math.ceil(output) };
}

export function estimateCampaign(input: EstimateInput): CampaignEstimate {
  const perModel = new Map<string, Call>();
  let maxTurns = 0;
  let expectedTurns = 0;
  for (const item of input.items) {
    const maxT = item.conversation.maxTurns ?? DEFAULT_MAX_TURNS;
    maxTurns += maxT;
    expectedTurns += Math.min(maxT, input.observed?.turnsPerConversation ?? maxT);
    for (const call of conversationCalls(item, input)) {
      const key = `${call.side}\u0000${call.model}`;
      const known = perModel.get(key);
      if (!known)
        perModel.set(key, {
          ...call,
          calls: { ...call.calls },
          input: { ...call.input },
          output: { ...call.output },
        });
      else {
        known.calls = add(known.calls, call.calls);
        known.input = add(known.input, call.input);
        known.output = add(known.output, call.output);
      }
    }
  }
  const unpriced = new Set<string>();
  const byModel: ModelEstimate[] = [...perModel.values()]
    .sort((a, b) => `${a.side} ${a.model}`.localeCompare(`${b.side} ${b.model}`))
    .map((c) => {
      const price = Object.hasOwn(input.prices, c.model) ? input.prices[c.model] : undefined;
      if (!price) unpriced.add(c.model);
      const cost = (k: 'max' | 'expected') =>
        price ? (c.input[k] / 1000) * price.inputPer1k + (c.output[k] / 1000) * price.outputPer1k : null;
      return {
        side: c.side,
        model: c.model,
        calls: Math.ceil(c.calls.max),
        max: figures(c.input.max, c.output.max),
        expected: figures(c.input.expected, c.output.expected),
        maxCostUsd: roundUsd(cost('max')),
        expectedCostUsd: roundUsd(cost('expected')),
      };
    });
  const sum = (f: (m: ModelEstimate) => number) => byModel.reduce((n, m) => n + f(m), 0);
  const bySide = { cloud: 0, local: 0, judge: 0 };
  for (const m of byModel) bySide[m.side] += m.calls;
  const expectedCalls = Math.ceil([...perModel.values()].reduce((n, c) => n + c.calls.expected, 0));

  const estimate: Omit<CampaignEstimate, 'expected'> = {
    items: input.items.length,
    turns: { max: maxTurns, expected: Math.round(expectedTurns) },
    modelCalls: { max: sum((m) => m.calls), expected: expectedCalls, bySide },
    tokens: {
      max: figures(
        sum((m) => m.max.input),
        sum((m) => m.max.output),
      ),
      expected: figures(
        sum((m) => m.expected.input),
        sum((m) => m.expected.output),
      ),
    },
    costUsd: {
      max: roundUsd(sum((m) => m.maxCostUsd ?? 0))!,
      expected: roundUsd(sum((m) => m.expectedCostUsd ?? 0))!,
      unpricedModels: [...unpriced].sort(),
    },
    byModel,
    wallTime: wallTime(input, [...perModel.values()]),
    ...(input.budget ? { budget: input.budget } : {}),
    assumptions: assumptions(input),
    basis: 'assumptions',
  };
  return { ...estimate, expected: assumedFigures(estimate) };
}

/**
 * The expected figures from the assumptions: the interval runs from replies of half the assumed length (none cut
 * short, no resample) to the upper bound.
 */
function assumedFigures(e: Omit<CampaignEstimate, 'expected'>): ExpectedFigures {
  const interval = (expected: number, high: number): Interval => ({ expected, low: expected / 2, high });
  const side = (s: Side, k: 'input' | 'output') =>
    interval(
      e.byModel.filter((m) => m.side === s).reduce((n, m) => n + m.expected[k], 0),
      e.byModel.filter((m) => m.side === s).reduce((n, m) => n + m.max[k], 0),
    );
  // The caps give only the least time; without a measured rate there is no expected one.
  const wall = e.wallTime.measuredSeconds;
  return {
    turns: { expected: e.turns.expected, low: e.items, high: e.turns.max },
    tokens: {
      cloud: { input: side('cloud', 'input'), output: side('cloud', 'output') },
      local: { input: side('local', 'input'), output: side('local', 'output') },
    },
    costUsd: interval(e.costUsd.expected, e.costUsd.max),
    wallTimeSeconds: wall === null ? null : { expected: wall, low: wall / 2, high: wall * 2 },
  };
}

/** The estimate with the figures a pilot or past runs measured as its expected figures (the bounds stay). */
export function withMeasured(
  estimate: CampaignEstimate,
  basis: Exclude<EstimateBasis, 'assumptions'>,
  measured: NonNullable<CampaignEstimate['measured']>,
): CampaignEstimate {
  const { tokens, turns, costUsd } = measured;
  // The caps allow no less than their least time, whatever the measured rate says.
  const atCaps = estimate.wallTime.atCapsSeconds ?? 0;
  const wall = measured.wallTimeSeconds;
  return {
    ...estimate,
    basis,
    measured,
    expected: {
      turns,
      tokens: { cloud: tokens.cloud, local: tokens.local },
      costUsd,
      wallTimeSeconds: wall && {
        expected: Math.max(atCaps, wall.expected),
        low: Math.max(atCaps, wall.low),
        high: Math.max(atCaps, wall.high),
      },
    },
  };
}

/**
 * The least time the caps allow: each side's calls at its calls-per-second cap, the cloud's tokens at its
 * tokens-per-minute cap. With measured rates: each side's expected tokens at its server's rate, the sides working
 * at once when more than one conversation runs (one conversation alternates them).
 */
function wallTime(input: EstimateInput, calls: Call[]): CampaignEstimate['wallTime'] {
  const side = (s: Side) => {
    const mine = calls.filter((c) => c.side === s || (c.side === 'judge' && input.judge?.side === s));
    return {
      calls: mine.reduce((n, c) => n + c.calls.expected, 0),
      input: mine.reduce((n, c) => n + c.input.expected, 0),
      output: mine.reduce((n, c) => n + c.output.expected, 0),
    };
  };
  const used = { cloud: side('cloud'), local: side('local') };
  const capTimes: number[] = [];
  for (const s of ['cloud', 'local'] as const) {
    const caps = input.caps[s];
    if (caps.maxCallsPerSecond > 0) capTimes.push(used[s].calls / caps.maxCallsPerSecond);
    if (caps.maxTokensPerMinute)
      capTimes.push(((used[s].input + used[s].output) / caps.maxTokensPerMinute) * 60);
  }
  const atCaps = capTimes.length > 0 ? Math.max(...capTimes) : null;

  let measured: number | null = null;
  const rates = input.measured;
  const sides = (['cloud', 'local'] as const).filter((s) => used[s].calls > 0);
  if (rates && sides.every((s) => rates[s])) {
    const busy = sides.map((s) => {
      const rate = rates[s]!;
      return (
        used[s].output / rate.outputTokensPerSecond +
        (rate.promptTokensPerSecond ? used[s].input / rate.promptTokensPerSecond : 0)
      );
    });
    const conversationsAtOnce = Math.min(input.concurrency, input.items.length);
    const serverTime = conversationsAtOnce > 1 ? Math.max(...busy) : busy.reduce((a, b) => a + b, 0);
    measured = Math.max(serverTime, atCaps ?? 0);
  }
  return {
    atCapsSeconds: atCaps === null ? null : Math.ceil(atCaps),
    measuredSeconds: measured === null ? null : Math.ceil(measured),
  };
}

function assumptions(input: EstimateInput): string[] {
  const novelty = noveltySettings(input.novelty);
  return [
    'max: every conversation runs all its turns, every reply reaches its maxTokens' +
      (novelty ? `, every reply is asked again ${novelty.maxResamples} times (novelty)` : '') +
      (input.judge ? `, the judge answers ${JUDGE_CALLS_BOUND} times` : '') +
      '; text written in the spec counts one token per UTF-8 byte',
    input.observed
      ? 'expected: from the figures of a finished campaign'
      : `expected: replies of ${EXPECTED_REPLY_SHARE * 100}% of maxTokens, ${CHARS_PER_TOKEN} characters per token, no resample`,
    'cost: MODEL_PRICES_FILE; models without a price count 0 and are listed',
    'wall time at the caps: the least the calls-per-second and tokens-per-minute caps allow (uncapped sides set no limit)',
  ];
}

function roundUsd(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1e6) / 1e6;
}
