/**
 * A campaign's and an item's identity: hashes over canonical JSON (keys sorted at every level, so the order a
 * spec was written in does not matter), the same in every process and on every run.
 */
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { CampaignSpec } from '../contracts/campaign-spec';

const stringify = configure({ deterministic: true, bigint: false, circularValue: TypeError });

/** JSON with every object's keys sorted; `undefined` members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  const json = stringify(value);
  if (json === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return json;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The sha256 (64 hex digits) of the validated spec: the plan written for a campaign records it. */
export function specHashOf(spec: CampaignSpec): string {
  return sha256Hex(canonicalJson(spec));
}

/** `spec.campaignId`, or the first 16 hex digits of the spec's hash: the same spec is the same campaign. */
export function campaignIdFor(spec: CampaignSpec): string {
  return spec.campaignId ?? specHashOf(spec).slice(0, 16);
}

/** 12 hex digits of the sha256 over the resolved item (see expand.ts for what it holds). */
export function itemHashOf(resolvedItem: unknown): string {
  return sha256Hex(canonicalJson(resolvedItem)).slice(0, 12);
}
