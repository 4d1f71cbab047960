/**
 * `writeCampaignDataset`: the dataset files from manifest.json, plan.jsonl and the transcripts, shard by shard
 * (one shard's transcripts in memory at a time), every file written atomically and depending only on those
 * inputs, so a retried export writes the same bytes.
 */
import { Context } from '@temporalio/activity';
import type { CampaignItem, CampaignManifest, ManifestItem } from '../../contracts/campaign';
import { campaignKey, MANIFEST_FILE, readManifest, readPlan, removeStale } from '../../output/campaign-files';
import type { OutputStore } from '../../output/store';
import { readTranscript } from '../../output/transcript-record';
import { datasetCard } from './card';
import { filesMissing, SHARED_STORE_HINT, toFileFailure, transcriptsMissing } from './errors';
import { serializeManifest } from './manifest';
import { clusterSignatures, conversationText, signatureOf } from './near-duplicates';
import { conversationsParquet } from './parquet';
import {
  conversationRow,
  localMessages,
  toMessagesLine,
  toPerspectiveLine,
  toShareGptLine,
  type ConversationRow,
} from './records';
import { renderReport, REPORT_FILE, transcriptLinks } from './report';
import { viewedItems, writeConversationView, writeViewerIndex } from './viewer/write';
import { DEFAULT_SHARD_ROWS, isShardOf, shardCount, shardGlob, shardName } from './shards';
import type { DatasetDeps, WriteDatasetInput, WriteDatasetOutput } from './types';

export const PERSPECTIVES_FOLDER = 'perspectives';
export const CARD_FILE = 'README.md';

/** Main folder files: stem and extension; perspectives/ holds cloud and local. */
const MAIN_FILES = [
  ['conversations', 'parquet'],
  ['conversations', 'jsonl'],
  ['sharegpt', 'jsonl'],
] as const;
const PERSPECTIVES = ['cloud', 'local'] as const;

/** The items that said something: a transcript with at least one turn. */
export function datasetItems(items: readonly ManifestItem[]): ManifestItem[] {
  return items.filter((i) => i.outcome?.jsonlPath !== undefined && i.outcome.turns > 0);
}

const lines = (values: readonly string[]) => values.map((v) => `${v}\n`).join('');

/** Transcripts checked at once. */
const CHECKS_IN_FLIGHT = 16;

/**
 * Each item's transcript key, or every transcript that is not in the store (`item <hash>: <key or location>`):
 * a location from another store (another worker's OUTPUT_DIR) is missing too.
 */
async function transcriptKeys(
  store: OutputStore,
  items: readonly ManifestItem[],
): Promise<{ keys: Map<string, string>; missing: string[] }> {
  const keys = new Map<string, string>();
  const missing: string[] = [];
  let next = 0;
  const check = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const location = item.outcome!.jsonlPath!;
      const key = store.keyOf(location);
      if (key !== undefined && (await store.exists(key))) keys.set(item.itemHash, key);
      else missing.push(`item ${item.itemHash}: ${key ?? location}`);
    }
  };
  await Promise.all(Array.from({ length: CHECKS_IN_FLIGHT }, check));
  return { keys, missing: missing.sort() };
}

/**
 * Writes the dataset from the manifest, the plan and every transcript they name. A transcript that is not in the
 * store fails the attempt before anything is written (retryable: a share away for a moment comes back); the
 * workflow's retries decide when the campaign gives up. With `status`, the manifest gets that status once the
 * dataset is whole, and the report is rendered from it.
 */
export function makeWriteCampaignDataset(deps: DatasetDeps) {
  const perShard = deps.shardRows ?? DEFAULT_SHARD_ROWS;
  const { store } = deps;
  return async function writeCampaignDataset(input: WriteDatasetInput): Promise<WriteDatasetOutput> {
    try {
      const { campaignId } = input;
      const key = (name: string) => campaignKey(campaignId, name);
      const stored = await readManifest(store, campaignId);
      const plan = await readPlan(store, campaignId);
      if (!stored || !plan) {
        throw filesMissing(
          `${store.location(campaignKey(campaignId))}: manifest.json or plan.jsonl is missing: checkpoint first ` +
            `(${SHARED_STORE_HINT})`,
        );
      }
      const planned = new Map<string, CampaignItem>(plan.map((i) => [i.itemHash, i]));
      const said = datasetItems(stored.items);
      const { keys, missing } = await transcriptKeys(store, said);
      if (missing.length > 0) throw transcriptsMissing(store.location(), missing);
      // A first pass for the near-duplicates: one signature per conversation, the transcripts read one at a time.
      // It writes the viewer's page of each conversation no checkpoint has written (one from before the viewer).
      const signatures = [];
      const viewed = await viewedItems(store, campaignId);
      for (const item of said) {
        const transcript = await readTranscript(store, keys.get(item.itemHash)!);
        if (!transcript) throw transcriptsMissing(store.location(), [`item ${item.itemHash}`]);
        if (!viewed.has(item.itemHash)) {
          await writeConversationView(store, campaignId, item, transcript, {
            cloud: item.sampling?.cloud.maxTokens,
            local: item.sampling?.local.maxTokens,
          });
        }
        signatures.push({
          itemHash: item.itemHash,
          index: item.index,
          signature: signatureOf(conversationText(transcript.turns)),
        });
      }
      const { nearDuplicateOf } = clusterSignatures(signatures);
      const dedup = (stored.spec as { dedup?: boolean }).dedup === true;
      const manifest: CampaignManifest = {
        ...stored,
        ...(input.status !== undefined && { status: input.status }),
        items: stored.items.map((item) => {
          const of = nearDuplicateOf.get(item.itemHash);
          const marked: ManifestItem = { ...item, ...(of && { nearDuplicateOf: of }) };
          if (!of) delete marked.nearDuplicateOf;
          return marked;
        }),
      };
      const items = dedup ? said.filter((i) => !nearDuplicateOf.has(i.itemHash)) : said;
      const count = shardCount(items.length, perShard);
      const createdBy = `llm-conversation-service version ${manifest.provenance.packageVersion}`;
      const latencyMs = { cloud: [] as number[], local: [] as number[] };
      const written: string[] = [];

      for (let shard = 0; shard < count; shard++) {
        const rows: ConversationRow[] = [];
        const local: string[] = [];
        for (const item of items.slice(shard * perShard, (shard + 1) * perShard)) {
          const transcriptKey = keys.get(item.itemHash)!;
          const transcript = await readTranscript(store, transcriptKey);
          if (!transcript)
            throw transcriptsMissing(store.location(), [`item ${item.itemHash}: ${transcriptKey}`]);
          const plannedItem = planned.get(item.itemHash);
          if (!plannedItem) throw filesMissing(`item ${item.itemHash} of manifest.json is not in plan.jsonl`);
          for (const t of transcript.turns) {
            latencyMs.cloud.push(t.cloudLatencyMs);
            latencyMs.local.push(t.localLatencyMs);
          }
          const row = conversationRow({
            campaignId: manifest.campaignId,
            item,
            planned: plannedItem,
            turns: transcript.turns,
          });
          rows.push(row);
          local.push(toPerspectiveLine(localMessages(transcript.turns, row.metadata.local.system_prompt)));
        }
        const name = (stem: string, ext: string) => shardName(stem, ext, shard, count);
        const perspective = (stem: string) => `${PERSPECTIVES_FOLDER}/${name(stem, 'jsonl')}`;
        const files: [string, string | Uint8Array][] = [
          [name('conversations', 'parquet'), await conversationsParquet(rows, createdBy)],
          [name('conversations', 'jsonl'), lines(rows.map(toMessagesLine))],
          [name('sharegpt', 'jsonl'), lines(rows.map(toShareGptLine))],
          [perspective('cloud'), lines(rows.map((r) => toPerspectiveLine(r.messages)))],
          [perspective('local'), lines(local)],
        ];
        for (const [file, content] of files) {
          await store.write(key(file), content);
          written.push(file);
        }
        Context.current().heartbeat({ shard, of: count });
      }

      const keepMain = new Set(
        MAIN_FILES.map(([stem, ext]) =>
          [...Array(count).keys()].map((s) => shardName(stem, ext, s, count)),
        ).flat(),
      );
      await removeStale(
        store,
        campaignKey(campaignId),
        (n) => MAIN_FILES.some(([stem, ext]) => isShardOf(n, stem, ext)),
        keepMain,
      );
      const keepPerspectives = new Set(
        PERSPECTIVES.flatMap((stem) =>
          [...Array(count).keys()].map((s) => shardName(stem, 'jsonl', s, count)),
        ),
      );
      await removeStale(
        store,
        key(PERSPECTIVES_FOLDER),
        (n) => PERSPECTIVES.some((stem) => isShardOf(n, stem, 'jsonl')),
        keepPerspectives,
      );

      const card = datasetCard(manifest, {
        rows: items.length,
        shardRows: perShard,
        nearDuplicates: { count: nearDuplicateOf.size, leftOut: dedup },
        configs: [
          ['default', shardGlob('conversations', 'parquet', count)],
          ['messages', shardGlob('conversations', 'jsonl', count)],
          ['sharegpt', shardGlob('sharegpt', 'jsonl', count)],
          ['cloud_perspective', `${PERSPECTIVES_FOLDER}/${shardGlob('cloud', 'jsonl', count)}`],
          ['local_perspective', `${PERSPECTIVES_FOLDER}/${shardGlob('local', 'jsonl', count)}`],
        ],
      });
      await store.write(key(CARD_FILE), card);
      written.push(CARD_FILE);

      const serialized = serializeManifest(manifest);
      if (serialized !== serializeManifest(stored)) await store.write(key(MANIFEST_FILE), serialized);
      const link = transcriptLinks(store, campaignId);
      await writeViewerIndex(store, manifest, link);
      await store.write(key(REPORT_FILE), renderReport({ manifest, latencyMs }));
      written.push(REPORT_FILE);
      return { files: written.sort() };
    } catch (err) {
      throw toFileFailure(err);
    }
  };
}
