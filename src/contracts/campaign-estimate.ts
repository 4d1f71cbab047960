/**
 * A campaign's estimate as it is recorded for the campaign that follows it (`campaigns/<campaignId>/estimate.json`),
 * and the comparison of that estimate with what the campaign then spent (manifest.json's `estimate`). Pure types.
 */

/** An expected figure with its interval (about 95 %: two standard errors each side, never below 0). */
export interface Interval {
  expected: number;
  low: number;
  high: number;
}

export interface SideTokens<T> {
  input: T;
  output: T;
}

/** What the estimate expects of the whole spec, and the wall time of the campaign that runs what is left of it. */
export interface ExpectedFigures {
  turns: Interval;
  tokens: { cloud: SideTokens<Interval>; local: SideTokens<Interval> };
  costUsd: Interval;
  /** The campaign started after the estimate (a pilot's items take no time there); null when nothing gave one. */
  wallTimeSeconds: Interval | null;
}

/**
 * Where the expected figures come from: a pilot run of a stratified sample of the spec, the finished campaigns that
 * ran the same endpoints, models and settings before, or the fixed assumptions of estimate.ts.
 */
export type EstimateBasis = 'pilot' | 'past-runs' | 'assumptions';

/** `campaigns/<campaignId>/estimate.json`: written by `--estimate` and `POST /campaigns?dryRun=true`. */
export interface EstimateRecord {
  campaignId: string;
  /** The hash planCampaign computes for the spec; a campaign planned from another spec ignores the record. */
  specHash: string;
  /** ISO 8601 UTC. */
  estimatedAt: string;
  basis: EstimateBasis;
  /** The campaigns whose items the figures were measured on (the pilot, or the past runs). */
  from: string[];
  /** The pilot campaign: its completed items are taken over by the campaign (no model calls). */
  pilot?: { campaignId: string; items: number };
  expected: ExpectedFigures;
}

/** Actual over expected, per figure (1.1: the campaign spent 10 % more than expected). */
export interface EstimateRatios {
  turns: number | null;
  tokens: number | null;
  cloudTokens: number | null;
  localTokens: number | null;
  costUsd: number | null;
  wallTime: number | null;
}

/** manifest.json's `estimate`: the recorded estimate beside what the campaign spent. */
export interface EstimateComparison {
  basis: EstimateBasis;
  from: string[];
  estimatedAt: string;
  pilot?: { campaignId: string; items: number; reusedItems: number };
  expected: ExpectedFigures;
  /** The whole spec (items taken over from a pilot or parent included); wall time once the campaign has ended. */
  actual: {
    turns: number;
    tokens: { cloud: SideTokens<number>; local: SideTokens<number> };
    costUsd: number;
    wallTimeSeconds: number | null;
  };
  ratio: EstimateRatios;
}
