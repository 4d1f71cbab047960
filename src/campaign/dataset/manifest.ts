/** manifest.json's content from the plan, the outcomes so far and what the transcripts say: pure. */
import { estimateComparison } from './estimate-vs-actual';
import { DEFAULT_ENDPOINTS } from '../../contracts/limits';
import type {
  CampaignItem,
  CampaignManifest,
  ItemOutcome,
  ManifestItem,
  ModelProvenance,
  PlanMeta,
  QualityFlags,
  ReplicaUsage,
  SideSampling,
} from '../../contracts/campaign';
import type { Turn } from '../../contracts/conversation';
import type { ModelRef } from './provenance';
import { round } from './numbers';
import type { CheckpointInput, PriceTable } from './types';

export interface SamplingDefaults {
  cloudModel?: string;
  localModel?: string;
  maxTokens?: { cloud: number; local: number };
}

/** What a transcript told about an item: read once, when its outcome arrives or changes. */
export interface TranscriptFacts {
  quality?: QualityFlags;
  models?: { cloud: string; local: string };
  replicas?: ManifestItem['replicas'];
}

/** Each side's turns and tokens by the replica that answered them; undefined when no turn names a replica. */
export function replicaUsage(turns: readonly Turn[]): ManifestItem['replicas'] {
  const bySide: ManifestItem['replicas'] = {};
  for (const t of turns) {
    for (const [side, replica, usage] of [
      ['cloud', t.cloudReplica, t.cloudUsage],
      ['local', t.localReplica, t.localUsage],
    ] as const) {
      if (replica === undefined) continue;
      const row = ((bySide[side] ??= {})[replica] ??= { turns: 0, inputTokens: 0, outputTokens: 0 });
      row.turns += 1;
      row.inputTokens += usage.inputTokens;
      row.outputTokens += usage.outputTokens;
    }
  }
  return bySide.cloud || bySide.local ? bySide : undefined;
}

/** A side's model when neither the item nor the worker names one. */
export const UNNAMED_CLOUD_MODEL = 'cloud-default';
export const UNNAMED_LOCAL_MODEL = 'local-default';

/**
 * A side's sampling: the model the item asked for, else the one that answered it (`answered`, from its
 * transcript), else the worker's default for the side's default endpoint; another endpoint's own model is named
 * once it has answered.
 */
export function itemSampling(
  item: CampaignItem,
  defaults: SamplingDefaults,
  answered?: { cloud: string; local: string },
): { cloud: SideSampling; local: SideSampling } {
  const side = (
    name: 'cloud' | 'local',
    options: { endpoint?: string; model?: string; temperature?: number; maxTokens?: number } | undefined,
    model: string | undefined,
    maxTokens: number | undefined,
  ): SideSampling => {
    const endpoint = options?.endpoint === DEFAULT_ENDPOINTS[name] ? undefined : options?.endpoint;
    const resolvedModel = options?.model ?? answered?.[name] ?? (endpoint === undefined ? model : undefined);
    const resolvedMax = options?.maxTokens ?? maxTokens;
    return {
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(resolvedModel === undefined ? {} : { model: resolvedModel }),
      ...(options?.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(resolvedMax === undefined ? {} : { maxTokens: resolvedMax }),
    };
  };
  return {
    cloud: side('cloud', item.conversation.cloud, defaults.cloudModel, defaults.maxTokens?.cloud),
    local: side('local', item.conversation.local, defaults.localModel, defaults.maxTokens?.local),
  };
}

/** Outcomes by item: the previous manifest's, then this checkpoint's on top (the same outcome twice is one). */
export function mergeOutcomes(
  previous: CampaignManifest | undefined,
  outcomes: readonly ItemOutcome[],
): Map<string, ItemOutcome> {
  const merged = new Map<string, ItemOutcome>();
  for (const item of previous?.items ?? []) if (item.outcome) merged.set(item.itemHash, item.outcome);
  for (const outcome of outcomes) merged.set(outcome.itemHash, outcome);
  return merged;
}

/** Whether an item's transcript must be read (again): its outcome is new or different from the manifest's. */
export function outcomeChanged(previous: ManifestItem | undefined, outcome: ItemOutcome): boolean {
  return previous?.outcome === undefined || JSON.stringify(previous.outcome) !== JSON.stringify(outcome);
}

export function manifestItems(args: {
  plan: readonly CampaignItem[];
  outcomes: ReadonlyMap<string, ItemOutcome>;
  running: ReadonlySet<string>;
  facts: ReadonlyMap<string, TranscriptFacts>;
  defaults: SamplingDefaults;
}): ManifestItem[] {
  return args.plan.map((item) => {
    const outcome = args.outcomes.get(item.itemHash);
    const facts = args.facts.get(item.itemHash);
    return {
      itemHash: item.itemHash,
      index: item.index,
      conversationId: outcome?.conversationId ?? item.conversation.conversationId ?? '',
      seedId: item.seed.id,
      pairIndex: item.pairIndex,
      grid: item.grid,
      repeat: item.repeat,
      state: outcome?.state ?? (args.running.has(item.itemHash) ? 'running' : 'pending'),
      sampling: itemSampling(item, args.defaults, facts?.models),
      ...(facts?.models ? { models: facts.models } : {}),
      ...(facts?.replicas ? { replicas: facts.replicas } : {}),
      ...(outcome ? { outcome } : {}),
      ...(facts?.quality ? { quality: facts.quality } : {}),
    };
  });
}

/** The model an item's side ran: as its transcript reports it, else as asked for. */
export function sideModel(item: ManifestItem, side: 'cloud' | 'local'): string {
  return (
    item.models?.[side] ??
    item.sampling?.[side].model ??
    (side === 'cloud' ? UNNAMED_CLOUD_MODEL : UNNAMED_LOCAL_MODEL)
  );
}

/**
 * Tokens and cost per side, endpoint and model over the items that ran, in key order (see byModelKey). The cost is
 * the sum of the items' own (each turn at the price of the way it was answered, so a batch turn at the batch
 * price); an outcome recorded before it carried one is priced from `prices` on demand; a model missing from
 * `prices` costs 0. Two sides on one model are two rows, as are two endpoints serving it.
 */
export function byModel(
  items: readonly ManifestItem[],
  prices: PriceTable = {},
): CampaignManifest['byModel'] {
  const totals: CampaignManifest['byModel'] = {};
  for (const item of items) {
    if (!item.outcome) continue;
    for (const side of ['cloud', 'local'] as const) {
      const model = sideModel(item, side);
      const endpoint = item.sampling?.[side].endpoint ?? DEFAULT_ENDPOINTS[side];
      const usage = item.outcome.usage[side];
      const entry = (totals[byModelKey(side, endpoint, model)] ??= {
        side,
        endpoint,
        model,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        priced: Object.hasOwn(prices, model),
      });
      entry.inputTokens += usage.inputTokens;
      entry.outputTokens += usage.outputTokens;
      addReplicas(entry, item.replicas?.[side]);
      const price = prices[model];
      const cost = item.outcome.costUsdBySide?.[side];
      if (cost !== undefined) entry.costUsd += cost;
      else if (price) {
        entry.costUsd +=
          (usage.inputTokens / 1000) * price.inputPer1k + (usage.outputTokens / 1000) * price.outputPer1k;
      }
    }
  }
  return Object.fromEntries(
    Object.keys(totals)
      .sort()
      .map((model) => [model, { ...totals[model]!, costUsd: round(totals[model]!.costUsd, 6) }]),
  );
}

function addReplicas(entry: { replicas?: ReplicaUsage }, usage: ReplicaUsage | undefined): void {
  for (const [replica, u] of Object.entries(usage ?? {})) {
    const row = ((entry.replicas ??= {})[replica] ??= { turns: 0, inputTokens: 0, outputTokens: 0 });
    row.turns += u.turns;
    row.inputTokens += u.inputTokens;
    row.outputTokens += u.outputTokens;
  }
}

/** `<side>:<model>` on the side's default endpoint, `<side>@<endpoint>:<model>` on another. */
export function byModelKey(side: 'cloud' | 'local', endpoint: string, model: string): string {
  return endpoint === DEFAULT_ENDPOINTS[side] ? `${side}:${model}` : `${side}@${endpoint}:${model}`;
}

/** The models that answered, as the transcripts report them, with the endpoint that served each, once each. */
export function modelsOf(items: readonly ManifestItem[]): ModelRef[] {
  const seen = new Map<string, ModelRef>();
  for (const item of items) {
    for (const side of ['cloud', 'local'] as const) {
      const model = item.models?.[side];
      if (model === undefined) continue;
      const endpoint = item.sampling?.[side].endpoint ?? DEFAULT_ENDPOINTS[side];
      seen.set(`${side}\u0000${endpoint}\u0000${model}`, { side, endpoint, model });
    }
  }
  return [...seen.values()];
}

/**
 * The checkpoint's time: given by the workflow, else the latest time the input carries, never before the previous
 * checkpoint's (so a retry, which finds its own first attempt's manifest, gives the same time).
 */
export function checkpointTime(input: CheckpointInput, previous?: CampaignManifest): string {
  if (input.at) return input.at;
  if (input.endedAt) return input.endedAt;
  const times = [input.startedAt, previous?.updatedAt, ...input.outcomes.map((o) => o.endedAt)];
  return times
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1)!;
}

export function buildManifest(args: {
  input: CheckpointInput;
  items: ManifestItem[];
  prices?: PriceTable;
  models: ModelProvenance[];
  code: { packageVersion: string; gitCommit?: string };
  temporalNamespace: string;
  previous?: CampaignManifest;
  plan?: Partial<PlanMeta>;
}): CampaignManifest {
  const { input } = args;
  const seedsFile = input.seedsFile ?? args.plan?.seedsFile ?? args.previous?.provenance.seedsFile;
  const specHash = args.plan?.specHash ?? args.previous?.provenance.specHash;
  return {
    formatVersion: 1,
    campaignId: input.campaignId,
    workflowId: input.workflowId,
    ...(input.spec.name === undefined ? {} : { name: input.spec.name }),
    status: input.status,
    ...(input.stopReason === undefined ? {} : { stopReason: input.stopReason }),
    ...(input.failure === undefined ? {} : { failure: input.failure }),
    spec: input.spec,
    counts: input.counts,
    totals: input.totals,
    byModel: byModel(args.items, args.prices),
    provenance: {
      models: args.models,
      packageVersion: args.code.packageVersion,
      ...(args.code.gitCommit ? { gitCommit: args.code.gitCommit } : {}),
      temporalNamespace: args.temporalNamespace,
      ...(specHash ? { specHash } : {}),
      ...(seedsFile ? { seedsFile } : {}),
      ...(args.plan?.parent && { parent: args.plan.parent }),
    },
    startedAt: input.startedAt,
    updatedAt: checkpointTime(input, args.previous),
    ...(input.endedAt === undefined ? {} : { endedAt: input.endedAt }),
    ...(args.plan?.estimate && { estimate: estimateComparison(args.plan.estimate, args.items, input) }),
    items: args.items,
  };
}

export function serializeManifest(manifest: CampaignManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
