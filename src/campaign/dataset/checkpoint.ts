/**
 * `checkpointCampaign`: manifest.json rewritten atomically from the plan, the outcomes so far (merged by item, so a
 * retried checkpoint writes the same bytes) and the transcripts of the items that finished since the last one.
 */
import path from 'node:path';
import type { CampaignManifest, ItemOutcome, ManifestItem } from '../../contracts/campaign';
import {
  CAMPAIGNS_FOLDER,
  campaignFolder,
  MANIFEST_FILE,
  readPlan,
  readPlanMeta,
} from '../../output/campaign-files';
import { outputRelativePath, readConfined, writeInFolder } from '../../output/files';
import { filesMissing, toFileFailure } from './errors';
import {
  buildManifest,
  itemSampling,
  manifestItems,
  mergeOutcomes,
  modelsOf,
  outcomeChanged,
  serializeManifest,
  type SamplingDefaults,
  type TranscriptFacts,
} from './manifest';
import { codeProvenance, modelProvenance } from './provenance';
import { qualityFlags } from './quality';
import { renderReport, REPORT_FILE } from './report';
import { readTranscript } from '../../output/transcript-record';
import type { CheckpointInput, CheckpointOutput, DatasetDeps } from './types';

export function samplingDefaults(deps: DatasetDeps): SamplingDefaults {
  return {
    cloudModel: deps.cloudModelDefault,
    localModel: deps.localModelDefault,
    maxTokens: deps.maxTokensDefault,
  };
}

export async function readManifest(
  outputDir: string,
  folder: { shown: string },
): Promise<CampaignManifest | undefined> {
  const text = await readConfined(outputDir, path.join(folder.shown, MANIFEST_FILE));
  return text === undefined ? undefined : (JSON.parse(text) as CampaignManifest);
}

/** Quality flags and the models from an item's transcript; nothing when it wrote none. */
async function transcriptFacts(
  outputDir: string,
  outcome: ItemOutcome,
  limits: { cloud?: number; local?: number },
): Promise<TranscriptFacts> {
  if (!outcome.jsonlPath) return {};
  const transcript = await readTranscript(outputDir, outcome.jsonlPath);
  if (!transcript) return {};
  const first = transcript.turns[0];
  return {
    quality: qualityFlags(transcript.turns, limits, outcome.endReason ?? transcript.endReason),
    ...(first ? { models: { cloud: first.cloudModel, local: first.localModel } } : {}),
  };
}

/** The outcome's transcript paths relative to OUTPUT_DIR (see outputRelativePath). */
function withOutputRelativePaths(outputDir: string, outcome: ItemOutcome): ItemOutcome {
  return {
    ...outcome,
    ...(outcome.csvPath && { csvPath: outputRelativePath(outputDir, outcome.csvPath) }),
    ...(outcome.jsonlPath && { jsonlPath: outputRelativePath(outputDir, outcome.jsonlPath) }),
  };
}

export function makeCheckpointCampaign(deps: DatasetDeps) {
  const defaults = samplingDefaults(deps);
  return async function checkpointCampaign(input: CheckpointInput): Promise<CheckpointOutput> {
    try {
      const folder = await campaignFolder(deps.outputDir, input.campaignId);
      const plan = await readPlan(deps.outputDir, folder);
      if (!plan)
        throw filesMissing(`campaigns/${input.campaignId}/plan.jsonl is missing: plan the campaign first`);
      const previous = await readManifest(deps.outputDir, folder);
      const previousItems = new Map((previous?.items ?? []).map((i) => [i.itemHash, i]));
      const outcomes = new Map(
        [...mergeOutcomes(previous, input.outcomes)].map(([hash, outcome]) => [
          hash,
          withOutputRelativePaths(deps.outputDir, outcome),
        ]),
      );

      const facts = new Map<string, TranscriptFacts>();
      for (const item of plan) {
        const outcome = outcomes.get(item.itemHash);
        if (!outcome) continue;
        const before: ManifestItem | undefined = previousItems.get(item.itemHash);
        if (before && !outcomeChanged(before, outcome)) {
          facts.set(item.itemHash, { quality: before.quality, models: before.models });
        } else {
          const sampling = itemSampling(item, defaults);
          const limits = { cloud: sampling.cloud.maxTokens, local: sampling.local.maxTokens };
          facts.set(item.itemHash, await transcriptFacts(deps.outputDir, outcome, limits));
        }
      }
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
        models: await modelProvenance(modelsOf(items), previous?.provenance.models ?? [], deps),
        code: previous?.provenance ?? (await codeProvenance()),
        temporalNamespace: previous?.provenance.temporalNamespace ?? deps.temporalNamespace,
        previous,
        plan: await readPlanMeta(deps.outputDir, folder),
      });
      const manifestPath = await writeInFolder(folder, MANIFEST_FILE, serializeManifest(manifest));
      // The page from the manifest alone (the dataset's export adds the latencies): something to look at meanwhile.
      await writeInFolder(
        folder,
        REPORT_FILE,
        renderReport({ manifest, folder: path.posix.join(CAMPAIGNS_FOLDER, input.campaignId) }),
      );
      return { manifestPath, items: items.length };
    } catch (err) {
      throw toFileFailure(err);
    }
  };
}
