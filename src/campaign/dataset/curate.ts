/**
 * Curation: the spec's `curate` rules split the dataset's conversations into the `train` split (kept) and the
 * `dropped` one, each dropped conversation with every rule that dropped it. Pure: the same manifest gives the same
 * split. Each rule is named after its spec field:
 * - minTurns: fewer turns than that;
 * - maxRepetition: `maxRepetition` (quality flags) above it;
 * - maxConsecutiveOverlap: either side's mean consecutive-turn overlap (`turnOverlap`) above it;
 * - dropEmpty / dropTruncated: at least one empty / truncated reply;
 * - dropNearDuplicates: a near-duplicate of an earlier conversation (`nearDuplicateOf`);
 * - minJudgeScore: a judge score below it, or none.
 */
import { CURATE_RULES } from '../../contracts/campaign';
import type { CurateRule, CurationSummary, ManifestItem, QualityFlags } from '../../contracts/campaign';
import type { CampaignSpec } from '../../contracts/campaign-spec';

export type CurateSpec = NonNullable<CampaignSpec['curate']>;

/** What the rules look at, for one conversation. */
export interface CurateFacts {
  turns: number;
  quality: Pick<QualityFlags, 'emptyReplies' | 'truncatedReplies' | 'maxRepetition' | 'turnOverlap'>;
  nearDuplicate: boolean;
  /** The judge's score; null when it gave none, undefined with no judge. */
  judgeScore: number | null | undefined;
}

const TESTS: { [R in CurateRule]: (limit: NonNullable<CurateSpec[R]>, c: CurateFacts) => boolean } = {
  minTurns: (min, c) => c.turns < min,
  maxRepetition: (max, c) => c.quality.maxRepetition > max,
  maxConsecutiveOverlap: (max, c) =>
    Math.max(c.quality.turnOverlap.cloud ?? 0, c.quality.turnOverlap.local ?? 0) > max,
  dropEmpty: (on, c) => on && c.quality.emptyReplies > 0,
  dropTruncated: (on, c) => on && c.quality.truncatedReplies > 0,
  dropNearDuplicates: (on, c) => on && c.nearDuplicate,
  minJudgeScore: (min, c) => c.judgeScore === null || c.judgeScore === undefined || c.judgeScore < min,
};

/** The rules that drop this conversation, in CURATE_RULES order; none: it is kept. */
export function droppedBy(rules: CurateSpec, facts: CurateFacts): CurateRule[] {
  return CURATE_RULES.filter((rule) => {
    const limit = rules[rule];
    return limit !== undefined && (TESTS[rule] as (l: typeof limit, c: CurateFacts) => boolean)(limit, facts);
  });
}

/** The facts of a manifest item as the dataset export knows them. */
export function curateFacts(
  item: ManifestItem,
  quality: CurateFacts['quality'],
  nearDuplicate: boolean,
): CurateFacts {
  const judge = item.outcome?.judge;
  return {
    turns: item.outcome?.turns ?? 0,
    quality,
    nearDuplicate,
    judgeScore: judge ? judge.score : undefined,
  };
}

export function curationSummary(dropped: readonly CurateRule[][]): CurationSummary {
  const byRule: CurationSummary['byRule'] = {};
  for (const rules of dropped) for (const rule of rules) byRule[rule] = (byRule[rule] ?? 0) + 1;
  const droppedCount = dropped.filter((rules) => rules.length > 0).length;
  return {
    candidates: dropped.length,
    kept: dropped.length - droppedCount,
    dropped: droppedCount,
    byRule: Object.fromEntries(CURATE_RULES.filter((r) => byRule[r]).map((r) => [r, byRule[r]])),
  };
}
