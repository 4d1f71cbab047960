/**
 * `checkpointCampaign`: manifest.json rewritten atomically from the plan, the outcomes so far (merged by item, so a
 * retried checkpoint writes the same bytes) and the transcripts of the items that finished since the last one.
 */
import type { ItemOutcome, ManifestItem } from '../../contracts/campaign';
import {
  campaignKey,
  MANIFEST_FILE,
  PLAN_FILE,
  readManifest,
  readPlan,
  readPlanMeta,
} from '../../output/campaign-files';
import type { OutputStore } from '../../output/store';
import { filesMissing, SHARED_STORE_HINT, toFileFailure } from './errors';
import {
  buildManifest,
  itemSampling,
  manifestItems,
  mergeOutcomes,
  modelsOf,
  outcomeChanged,
  replicaUsage,
  serializeManifest,
  type SamplingDefaults,
  type TranscriptFacts,
} from './manifest';
import { codeProvenance, modelProvenance, type ModelSource } from './provenance';
import { DEFAULT_ENDPOINTS } from '../../contracts/limits';
import { qualityFlags } from './quality';
import { renderReport, REPORT_FILE, transcriptLinks } from './report';
import { readTranscript } from '../../output/transcript-record';
import { ConversationViewWriter, writeViewerIndex } from './viewer/write';
import type { CheckpointInput, CheckpointOutput, DatasetDeps } from './types';

export function samplingDefaults(deps: DatasetDeps): SamplingDefaults {
  return {
    cloudModel: deps.cloudModelDefault,
    localModel: deps.localModelDefault,
    maxTokens: deps.maxTokensDefault,
  };
}

/**
 * Quality flags and the models from an item's transcript, whose page for the report's viewer it writes; nothing
 * when it wrote none.
 */
async function transcriptFacts(
  store: OutputStore,
  views: ConversationViewWriter,
  outcome: ItemOutcome,
  limits: { cloud?: number; local?: number },
): Promise<TranscriptFacts> {
  const key = outcome.jsonlPath === undefined ? undefined : store.keyOf(outcome.jsonlPath);
  if (key === undefined) return {};
  const transcript = await readTranscript(store, key);
  if (!transcript) return {};
  const first = transcript.turns[0];
  if (first) await views.add(outcome, transcript, limits);
  const replicas = replicaUsage(transcript.turns);
  return {
    quality: qualityFlags(transcript.turns, limits, outcome.endReason ?? transcript.endReason),
    ...(first ? { models: { cloud: first.cloudModel, local: first.localModel } } : {}),
    ...(replicas && { replicas }),
  };
}

/**
 * The outcome with its transcripts named by their keys in the store, so the dataset holds no folder of the machine
 * that wrote it; a location from another store stays as it is (the dataset step reports it missing).
 */
function withKeys(store: OutputStore, outcome: ItemOutcome): ItemOutcome {
  const keyOf = (location: string) => store.keyOf(location) ?? location;
  return {
    ...outcome,
    ...(outcome.csvPath && { csvPath: keyOf(outcome.csvPath) }),
    ...(outcome.jsonlPath && { jsonlPath: keyOf(outcome.jsonlPath) }),
  };
}

/** Where the models of each endpoint are looked up: the worker's sources, else the two default endpoints. */
export function modelSourcesOf(deps: DatasetDeps): ReadonlyMap<string, ModelSource> {
  return (
    deps.modelSources ??
    new Map<string, ModelSource>([
      [DEFAULT_ENDPOINTS.local, { kind: 'ollama', client: deps.ollama }],
      [DEFAULT_ENDPOINTS.cloud, { kind: 'bedrock', ...(deps.awsRegion ? { region: deps.awsRegion } : {}) }],
    ])
  );
}

export function makeCheckpointCampaign(deps: DatasetDeps) {
  const defaults = samplingDefaults(deps);
  const sources = modelSourcesOf(deps);
  return async function checkpointCampaign(input: CheckpointInput): Promise<CheckpointOutput> {
    try {
      const { store } = deps;
      const plan = await readPlan(store, input.campaignId);
      if (!plan) {
        throw filesMissing(
          `${store.location(campaignKey(input.campaignId, PLAN_FILE))} is missing: plan the campaign first ` +
            `(${SHARED_STORE_HINT})`,
        );
      }
      const previous = await readManifest(store, input.campaignId);
      const previousItems = new Map((previous?.items ?? []).map((i) => [i.itemHash, i]));
      const outcomes = new Map(
        [...mergeOutcomes(previous, input.outcomes)].map(([hash, outcome]) => [
          hash,
          withKeys(store, outcome),
        ]),
      );

      const facts = new Map<string, TranscriptFacts>();
      const views = new ConversationViewWriter(store, input.campaignId);
      for (const item of plan) {
        const outcome = outcomes.get(item.itemHash);
        if (!outcome) continue;
        const before: ManifestItem | undefined = previousItems.get(item.itemHash);
        if (before && !outcomeChanged(before, outcome)) {
          facts.set(item.itemHash, {
            quality: before.quality,
            models: before.models,
            ...(before.replicas && { replicas: before.replicas }),
          });
        } else {
          const sampling = itemSampling(item, defaults);
          const limits = { cloud: sampling.cloud.maxTokens, local: sampling.local.maxTokens };
          facts.set(item.itemHash, await transcriptFacts(store, views, outcome, limits));
        }
      }
      await views.flush();
      const items = manifestItems({
        plan,
        outcomes,
        running: new Set(input.runningItems ?? []),
        facts,
        defaults,
      });
      const manifest = buildManifest({
        input,
        items,
        prices: deps.prices,
        models: await modelProvenance(modelsOf(items), previous?.provenance.models ?? [], sources),
        code: previous?.provenance ?? (await codeProvenance()),
        temporalNamespace: previous?.provenance.temporalNamespace ?? deps.temporalNamespace,
        previous,
        plan: await readPlanMeta(store, input.campaignId),
      });
      const manifestPath = await store.write(
        campaignKey(input.campaignId, MANIFEST_FILE),
        serializeManifest(manifest),
      );
      // The page from the manifest alone (the dataset's export adds the latencies): something to look at meanwhile.
      const link = transcriptLinks(store, input.campaignId);
      await writeViewerIndex(store, manifest, link);
      await store.write(campaignKey(input.campaignId, REPORT_FILE), renderReport({ manifest }));
      return { manifestPath, items: items.length };
    } catch (err) {
      throw toFileFailure(err);
    }
  };
}
