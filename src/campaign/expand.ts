/**
 * A validated spec (and its seeds) → the campaign's items, in a fixed order: for each seed, each pair, each grid
 * point, each repeat. An item's hash covers what makes the conversation what it is (the seed, the resolved
 * options of both sides, the shared options, the repeat), not its position, so an item keeps its id when the
 * same spec is submitted again.
 */
import { inputSchemas } from '../contracts/conversation-input';
import type { CloudOptions, ConversationInput, LocalOptions } from '../contracts/conversation-input';
import { itemHashOf } from './identity';
import { formatPath } from '../contracts/campaign-issues';
import type { SpecIssue } from '../contracts/campaign-issues';
import { MAX_CAMPAIGN_ITEMS, sharedConversationOptions } from '../contracts/campaign-spec';
import type { CampaignSpec } from '../contracts/campaign-spec';
import { itemConversationId } from '../contracts/campaign';
import type { CampaignItem } from '../contracts/campaign';

/** A seed as written, inline or in the seeds file, with where it was written (for error messages). */
export interface SeedEntry {
  query: string;
  id?: string;
  metadata?: Record<string, unknown>;
  /** `seeds[3]`, or `seedsFile line 4`. */
  where: string;
}

/** Where a seed's field was written: `seeds[3].id`, `seedsFile line 4: id`. */
export function seedFieldPath(where: string, field: string): string {
  return where.startsWith('seeds[') ? `${where}.${field}` : `${where}: ${field}`;
}

/** The inline seeds as entries: a string is a seed's query. */
export function inlineSeedEntries(seeds: NonNullable<CampaignSpec['seeds']>): SeedEntry[] {
  return seeds.map((seed, i) =>
    typeof seed === 'string' ? { query: seed, where: `seeds[${i}]` } : { ...seed, where: `seeds[${i}]` },
  );
}

export type Expansion = { ok: true; items: CampaignItem[] } | { ok: false; issues: SpecIssue[] };

type Side = 'cloud' | 'local';
type GridKey = 'temperature' | 'systemPrompt';
/** The grid's dimensions in a fixed order; the last varies fastest. */
const GRID_DIMENSIONS: readonly [Side, GridKey][] = [
  ['cloud', 'temperature'],
  ['cloud', 'systemPrompt'],
  ['local', 'temperature'],
  ['local', 'systemPrompt'],
];

interface GridPoint {
  /** `{"cloud.temperature": 0.2}` */
  values: Record<string, string | number>;
  /** Where each value was written: `{"cloud.temperature": "grid.cloud.temperature[1]"}`. */
  paths: Record<string, string>;
}

/** The grid's cross product; one empty point without a grid. */
export function gridPoints(grid: CampaignSpec['grid']): GridPoint[] {
  let points: GridPoint[] = [{ values: {}, paths: {} }];
  for (const [side, key] of GRID_DIMENSIONS) {
    const values: (string | number)[] | undefined = grid?.[side]?.[key];
    if (!values) continue;
    const name = `${side}.${key}`;
    points = points.flatMap((point) =>
      values.map((value, i) => ({
        values: { ...point.values, [name]: value },
        paths: { ...point.paths, [name]: `grid.${name}[${i}]` },
      })),
    );
  }
  return points;
}

function gridPointCount(grid: CampaignSpec['grid']): number {
  return GRID_DIMENSIONS.reduce((n, [side, key]) => n * (grid?.[side]?.[key]?.length ?? 1), 1);
}

/** One side's options: the pair's, with the grid point's values for that side over them; undefined when empty. */
function sideOptions<T extends CloudOptions | LocalOptions>(
  pairSide: T | undefined,
  point: GridPoint,
  side: Side,
): T | undefined {
  const options: Record<string, unknown> = { ...pairSide };
  for (const [name, value] of Object.entries(point.values)) {
    const [pointSide, key] = name.split('.') as [Side, GridKey];
    if (pointSide === side) options[key] = value;
  }
  return Object.keys(options).length > 0 ? (options as T) : undefined;
}

/** `seed-<index>` unless the seed has an id; two seeds with one id are an error naming both. */
function seedIds(seeds: SeedEntry[], issues: SpecIssue[]): string[] {
  const firstWith = new Map<string, SeedEntry>();
  return seeds.map((seed, index) => {
    const id = seed.id ?? `seed-${index}`;
    const first = firstWith.get(id);
    if (first) {
      issues.push({
        path: seed.id === undefined ? seed.where : seedFieldPath(seed.where, 'id'),
        message: `the seed id "${id}" is also the id of ${first.where}`,
      });
    } else firstWith.set(id, seed);
    return id;
  });
}

/**
 * Maps an issue of one item's conversation input back to the spec: a grid value, a pair's field, or a shared
 * option.
 */
function specPathOf(path: readonly PropertyKey[], pairIndex: number, point: GridPoint): string {
  const [head, key] = path;
  if (head === 'cloud' || head === 'local') {
    const gridPath = point.paths[`${head}.${String(key)}`];
    return gridPath ?? formatPath(['pairs', pairIndex, ...path]);
  }
  return formatPath(path);
}

/** Which spec element makes `later` the same conversation as `earlier`. */
function duplicateIssue(earlier: Located, later: Located): SpecIssue {
  if (earlier.seedIndex !== later.seedIndex) {
    return {
      path: later.seedWhere,
      message: `is the same seed as ${earlier.seedWhere} (same query, no id): give each an id, or use repeats`,
    };
  }
  if (earlier.pairIndex !== later.pairIndex) {
    return {
      path: `pairs[${later.pairIndex}]`,
      message: `gives the same conversations as pairs[${earlier.pairIndex}] (with the grid applied)`,
    };
  }
  return { path: 'grid', message: 'two grid points give the same conversation' };
}

interface Located {
  seedIndex: number;
  seedWhere: string;
  pairIndex: number;
}

/**
 * The items of `spec` with `seeds` (inline or read from its seeds file), for the campaign `campaignId`. Every
 * item's conversation input passes the conversation's own schema; a problem is reported at the spec's path that
 * causes it (`pairs[1].cloud.temperature`, `grid.local.systemPrompt[2]`, `seeds[4].id`).
 */
export function expandCampaign(spec: CampaignSpec, campaignId: string, seeds: SeedEntry[]): Expansion {
  const repeats = spec.repeats ?? 1;
  const count = seeds.length * spec.pairs.length * gridPointCount(spec.grid) * repeats;
  if (count > MAX_CAMPAIGN_ITEMS) {
    return {
      ok: false,
      issues: [
        {
          path: '(root)',
          message:
            `seeds × pairs × grid points × repeats = ${seeds.length} × ${spec.pairs.length} × ` +
            `${gridPointCount(spec.grid)} × ${repeats} = ${count} items, over the ${MAX_CAMPAIGN_ITEMS} a ` +
            'campaign may hold',
        },
      ],
    };
  }

  const issues: SpecIssue[] = [];
  const ids = seedIds(seeds, issues);
  const points = gridPoints(spec.grid);
  const shared = sharedConversationOptions(spec);
  const { conversationInput } = inputSchemas();
  const checkedCombinations = new Set<string>();
  const seen = new Map<string, Located>();
  const items: CampaignItem[] = [];

  seeds.forEach((seed, seedIndex) => {
    spec.pairs.forEach((pair, pairIndex) => {
      for (const point of points) {
        const cloud = sideOptions(pair.cloud, point, 'cloud');
        const local = sideOptions(pair.local, point, 'local');
        for (let repeat = 0; repeat < repeats; repeat++) {
          const options = { ...shared, ...(cloud ? { cloud } : {}), ...(local ? { local } : {}) };
          const itemHash = itemHashOf({
            seed: { query: seed.query, id: seed.id, metadata: seed.metadata },
            options,
            repeat,
          });
          const conversation: ConversationInput = {
            initialQuery: seed.query,
            conversationId: itemConversationId(campaignId, itemHash),
            outputFile: `campaigns/${campaignId}/conversations/${itemHash}.csv`,
            ...options,
          };
          // The query was checked with the spec; the options once per pair and grid point.
          const combination = `${pairIndex}/${JSON.stringify(point.values)}`;
          if (!checkedCombinations.has(combination)) {
            checkedCombinations.add(combination);
            const checked = conversationInput.safeParse(conversation);
            if (!checked.success) {
              for (const issue of checked.error.issues) {
                issues.push({ path: specPathOf(issue.path, pairIndex, point), message: issue.message });
              }
            }
          }
          const here = { seedIndex, seedWhere: seed.where, pairIndex };
          const earlier = seen.get(itemHash);
          if (earlier) issues.push(duplicateIssue(earlier, here));
          else seen.set(itemHash, here);
          items.push({
            itemHash,
            index: items.length,
            seed: {
              id: ids[seedIndex]!,
              query: seed.query,
              ...(seed.metadata ? { metadata: seed.metadata } : {}),
            },
            pairIndex,
            grid: point.values,
            repeat,
            conversation,
          });
        }
      }
    });
  });
  return issues.length > 0 ? { ok: false, issues: dedupe(issues) } : { ok: true, items };
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
