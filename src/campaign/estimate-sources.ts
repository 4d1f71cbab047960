/**
 * Where an estimate's measured figures come from: a pilot (a stratified sample of the spec run for real as a campaign
 * of its own, whose items the campaign then takes over), or the finished campaigns in the output store that ran the
 * same endpoints, models and settings.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CampaignManifest, CampaignItem } from '../contracts/campaign';
import type { CampaignSpec } from '../contracts/campaign-spec';
import { CAMPAIGNS_FOLDER, MANIFEST_FILE, readManifest, readPlan } from '../output/campaign-files';
import type { OutputStore } from '../output/store';
import type { ObservedItem, TargetItem } from './estimate-measured';
import { campaignIdFor, canonicalJson } from './identity';
import { stratumOf } from './pilot-sample';
import { startCampaign, writeCampaignPlan } from './start';
import { resolveCampaign } from './validate';
import type { ValidCampaign } from './validate';

/** Measured items, the spec's items as strata of them, and the campaigns they came from. */
export interface Measurements {
  observed: ObservedItem[];
  items: TargetItem[];
  from: string[];
  overheadMs: number;
}

/**
 * A manifest's completed items as observations (stratum given by `stratum`), by item hash; items taken over from
 * another campaign are left out (they did not run here).
 */
function observationsOf(
  manifest: CampaignManifest,
  stratum: (itemHash: string) => string | undefined,
): Map<string, ObservedItem> {
  const observed = new Map<string, ObservedItem>();
  for (const item of manifest.items) {
    const o = item.outcome;
    if (item.state !== 'completed' || !o || o.reusedFrom || !o.startedAt || !o.endedAt) continue;
    const key = stratum(item.itemHash);
    if (key === undefined) continue;
    observed.set(item.itemHash, {
      campaignId: manifest.campaignId,
      stratum: key,
      turns: o.turns,
      usage: o.usage,
      resamples: item.quality?.resamples ?? 0,
      costUsd: o.costUsd,
      startedAt: Date.parse(o.startedAt),
      endedAt: Date.parse(o.endedAt),
    });
  }
  return observed;
}

/** The campaign's own time besides its conversations: its wall time less the span its items ran in. */
function overheadOf(manifest: CampaignManifest, observed: readonly ObservedItem[]): number {
  if (!manifest.endedAt || observed.length === 0) return 0;
  const wall = Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt);
  const span = Math.max(...observed.map((o) => o.endedAt)) - Math.min(...observed.map((o) => o.startedAt));
  return Math.max(0, wall - span);
}

/** `pilot-<16 hex digits>`: the pilot's id, from its spec (the same estimate asked again finds the same pilot). */
export function pilotSpecOf(campaign: ValidCampaign, items: number): CampaignSpec {
  const pilot: CampaignSpec = {
    ...campaign.spec,
    campaignId: undefined,
    pilot: { items, of: campaign.campaignId },
  };
  return { ...pilot, campaignId: `pilot-${campaignIdFor(pilot)}` };
}

export interface PilotOptions {
  client: Pick<Client, 'workflow'>;
  taskQueue: string;
  store: OutputStore;
  inputDir: string;
  campaign: ValidCampaign;
  items: number;
  /** Waits for the pilot's workflow (the CLI shows its progress); by default its result. */
  follow?: (handle: WorkflowHandle, pilotId: string) => Promise<unknown>;
}

/** The pilot did not give what an estimate needs (an item of each stratum completed). */
export class PilotError extends Error {
  override readonly name = 'PilotError';
}

/**
 * Runs the pilot (or finds it finished: the same spec and size is the same pilot) and measures the spec's items on
 * it: the pilot's completed items are done, the others are strata of them.
 */
export async function runPilot(options: PilotOptions): Promise<Measurements & { pilotId: string }> {
  const { campaign, store } = options;
  const spec = pilotSpecOf(campaign, options.items);
  const pilotId = spec.campaignId!;
  const pilot = await resolveCampaign(spec, { inputDir: options.inputDir, campaignId: pilotId });
  if (!pilot.ok) throw new PilotError(pilot.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const planIssues = await writeCampaignPlan(store, pilot);
  if (planIssues.length > 0)
    throw new PilotError(planIssues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const started = await startCampaign(options.client, options.taskQueue, pilot);
  await (options.follow ? options.follow(started.handle, pilotId) : started.handle.result());
  const manifest = await readManifest(store, pilotId);
  if (!manifest) throw new PilotError(`the pilot ${pilotId} wrote no manifest`);
  const strata = new Map(campaign.items.map((item) => [item.itemHash, stratumOf(item)]));
  const completed = observationsOf(manifest, (hash) => strata.get(hash));
  const observed = [...completed.values()];
  const missing = new Set(strata.values());
  for (const o of observed) missing.delete(o.stratum);
  if (missing.size > 0) {
    throw new PilotError(
      `the pilot ${pilotId} completed no item of ${[...missing].join(', ')} (${manifest.counts.failed} failed): ` +
        'no estimate from it',
    );
  }
  return {
    pilotId,
    observed,
    items: campaign.items.map((item) => {
      const done = completed.get(item.itemHash);
      return { stratum: stratumOf(item), ...(done && { done }) };
    }),
    from: [pilotId],
    overheadMs: overheadOf(manifest, observed),
  };
}

/** The worker's defaults an item's settings resolve to: the same spec under other defaults is other settings. */
export interface SettingsDefaults {
  cloudModel?: string;
  localModel: string;
  cloudMaxTokens?: number;
  localMaxTokens?: number;
}

/** An item's settings: everything of its conversation but the seed and its ids, with the defaults it runs under. */
export function settingsOf(item: CampaignItem, defaults: SettingsDefaults): string {
  const settings = {
    ...item.conversation,
    initialQuery: undefined,
    conversationId: undefined,
    outputFile: undefined,
  };
  return canonicalJson({ settings, defaults });
}

/** How many finished campaigns, newest first, past runs are looked for in. */
export const PAST_RUNS_LOOKED_AT = 20;

/**
 * The finished campaigns (status completed) in the store whose items ran with the settings of this spec's items, when
 * every setting of the spec has run before; otherwise the settings that never ran.
 */
export async function pastRuns(
  store: OutputStore,
  campaign: ValidCampaign,
  defaults: SettingsDefaults,
): Promise<Measurements | { missing: number }> {
  const wanted = new Set(campaign.items.map((item) => settingsOf(item, defaults)));
  const manifests: CampaignManifest[] = [];
  for (const key of await store.list(CAMPAIGNS_FOLDER)) {
    const parts = key.split('/');
    if (parts.length !== 3 || parts[2] !== MANIFEST_FILE || parts[1] === campaign.campaignId) continue;
    const manifest = await readManifest(store, parts[1]!).catch(() => undefined);
    if (manifest?.status === 'completed' && manifest.endedAt) manifests.push(manifest);
  }
  manifests.sort((a, b) => b.endedAt!.localeCompare(a.endedAt!));
  const observed: ObservedItem[] = [];
  const from: string[] = [];
  const overheads: number[] = [];
  for (const manifest of manifests.slice(0, PAST_RUNS_LOOKED_AT)) {
    const plan = await readPlan(store, manifest.campaignId).catch(() => undefined);
    if (!plan) continue;
    const settings = new Map(plan.map((item) => [item.itemHash, settingsOf(item, defaults)]));
    // Every item of the run counts for its load; only those with wanted settings are samples of a stratum.
    const items = [...observationsOf(manifest, (hash) => settings.get(hash)).values()];
    if (!items.some((o) => wanted.has(o.stratum))) continue;
    observed.push(...items);
    from.push(manifest.campaignId);
    overheads.push(overheadOf(manifest, items));
  }
  const seen = new Set(observed.map((o) => o.stratum));
  const missing = [...wanted].filter((s) => !seen.has(s)).length;
  if (missing > 0) return { missing };
  return {
    observed,
    items: campaign.items.map((item) => ({ stratum: settingsOf(item, defaults) })),
    from,
    overheadMs: overheads.reduce((a, b) => a + b, 0) / overheads.length,
  };
}
