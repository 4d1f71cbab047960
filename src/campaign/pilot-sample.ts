/**
 * A pilot's items: a stratified sample of a campaign's items, each stratum (a pair with a grid cell) represented and
 * the sample spread over the seeds and repeats inside it. Deterministic, so the CLI, the API and the plan activity
 * pick the same items from the same spec.
 */
import type { CampaignItem } from '../contracts/campaign';
import { canonicalJson } from './identity';

/** The stratum of an item: its pair and grid cell. */
export function stratumOf(item: Pick<CampaignItem, 'pairIndex' | 'grid'>): string {
  return `pairs[${item.pairIndex}] ${canonicalJson(item.grid)}`;
}

/** The items of each stratum, in index order, strata in the order they first appear. */
export function strata<T extends Pick<CampaignItem, 'pairIndex' | 'grid'>>(
  items: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = stratumOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * The pilot size when none is given: every stratum once, and as many items as the campaign runs at once (its
 * concurrency), so the pilot measures the time per turn under the load the campaign will put on the model servers.
 * Cheap: its items are taken over by the campaign, so only the wait for it is extra.
 */
export function defaultPilotSize(items: readonly CampaignItem[], concurrency: number): number {
  return Math.min(items.length, Math.max(strata(items).size, concurrency));
}

/** Why `size` cannot be a pilot of these items; undefined when it can. */
export function pilotSizeProblem(items: readonly CampaignItem[], size: number): string | undefined {
  const count = strata(items).size;
  if (size < count) {
    return `a pilot of ${size} cannot hold one item of each of the spec's ${count} pairs × grid cells: ask for at least ${count}`;
  }
  if (size > items.length) return `is more than the spec's ${items.length} items`;
  return undefined;
}

/**
 * `size` items (at least one per stratum, pilotSizeProblem says when not): each stratum gets an equal share (the
 * first strata one more when it does not divide), taken evenly spaced through the stratum's items (seeds, repeats).
 */
export function pilotItems(items: readonly CampaignItem[], size: number): CampaignItem[] {
  const groups = [...strata(items).values()];
  const picked: CampaignItem[] = [];
  let left = size;
  // Equal shares; a stratum smaller than its share gives the rest to the strata after it.
  const bySize = groups.map((group, i) => ({ group, i })).sort((a, b) => a.group.length - b.group.length);
  const shares = new Map<number, number>();
  bySize.forEach(({ group, i }, rank) => {
    const share = Math.min(group.length, Math.ceil(left / (bySize.length - rank)));
    shares.set(i, share);
    left -= share;
  });
  groups.forEach((group, i) => {
    const share = shares.get(i)!;
    // Each stratum starts a little further in, so the strata together cover more seeds.
    const offset = (i * group.length) / (share * groups.length);
    for (let j = 0; j < share; j++) {
      picked.push(group[Math.floor(((j + 0.5) * group.length) / share + offset) % group.length]!);
    }
  });
  return picked.sort((a, b) => a.index - b.index);
}
