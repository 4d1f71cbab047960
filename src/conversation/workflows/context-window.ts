/**
 * How much of the conversation each side's prompt keeps. Both sides see the whole conversation while it fits in the
 * endpoint's context window (`contextTokens`, with room for the reply); past it, the oldest half of the exchanges
 * kept is dropped at once. Cutting in large steps keeps the prompt append-only between cuts: after one, the prompt
 * grows for about as many turns again (half of what the window holds) before the next, and a model server's prefix
 * cache serves all of it but the new tokens. A sliding window would change the prompt's start, and so miss the
 * cache, on every turn once full.
 *
 * Pure and deterministic (the workflow replays it): the start is found by going through the exchanges in order, as
 * the turns went, so each turn's cut is the one the turn before made unless the new exchange overflows.
 */
import {
  DEFAULT_LOCAL_SYSTEM_PROMPT,
  DEFAULT_QUESTION_TEMPLATE,
  type ConversationInput,
  type Turn,
} from '../../contracts/conversation';
import { DEFAULT_FRAMING } from '../../models/base-model-prompt';
import type { SideContext } from '../activities/types';

/**
 * Tokens a text takes, from its length alone (the workflow has no tokenizer): 3 characters a token, fewer than
 * common tokenizers take for English prose, so the estimate errs long and a prompt kept within the window is not
 * truncated by the server.
 */
export function estimatedTokens(text: string | undefined): number {
  return Math.ceil((text?.length ?? 0) / 3);
}

/** Per message: the role markers a chat template adds, or the `Question:`/`Answer:` labels of a transcript. */
const MESSAGE_TOKENS = 8;
/**
 * Kept free on the local side for what a resample adds at the end (the questions asked, see resample-prompt.ts),
 * and on both for the difference between a model's tokens and the estimate.
 */
const RESERVE_TOKENS = 256;

/**
 * The first item kept when items of these sizes (oldest first) must fit in `budget`: each item in turn is added,
 * and while the kept ones overflow, the oldest half of them goes. The newest item is always kept.
 */
export function keptFrom(sizes: readonly number[], budget: number): number {
  let start = 0;
  let total = 0;
  sizes.forEach((size, j) => {
    total += size;
    while (total > budget && start < j) {
      const drop = Math.ceil((j + 1 - start) / 2);
      for (let i = 0; i < drop && start < j; i++) total -= sizes[start++]!;
    }
  });
  return start;
}

type Sides = Pick<ConversationInput, 'cloud' | 'local'>;

/** The first of `turns` the cloud side's prompt keeps, asking `query`. */
export function cloudContextStart(
  settings: Sides,
  context: SideContext,
  turns: readonly Turn[],
  query: string,
): number {
  const size = (q: string, a?: string) => estimatedTokens(q) + estimatedTokens(a) + 2 * MESSAGE_TOKENS;
  const budget =
    context.contextTokens -
    (settings.cloud?.maxTokens ?? context.maxTokens) -
    estimatedTokens(settings.cloud?.systemPrompt ?? DEFAULT_FRAMING) -
    RESERVE_TOKENS;
  return keptFrom([...turns.map((t) => size(t.query, t.cloudResponse)), size(query)], budget);
}

/** The first of `turns` the local side's prompt keeps, following up on `answer` to `query`. */
export function localContextStart(
  settings: Sides,
  context: SideContext,
  turns: readonly Turn[],
  query: string,
  answer: string,
): number {
  // Each exchange goes through the question template (for a base model only when set; counted either way).
  const template = estimatedTokens(settings.local?.questionTemplate ?? DEFAULT_QUESTION_TEMPLATE);
  const size = (q: string, a: string) =>
    template + 2 * estimatedTokens(q) + estimatedTokens(a) + 2 * MESSAGE_TOKENS;
  const budget =
    context.contextTokens -
    (settings.local?.maxTokens ?? context.maxTokens) -
    estimatedTokens(settings.local?.systemPrompt ?? DEFAULT_LOCAL_SYSTEM_PROMPT) -
    RESERVE_TOKENS;
  return keptFrom([...turns.map((t) => size(t.query, t.cloudResponse)), size(query, answer)], budget);
}
