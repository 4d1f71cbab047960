/**
 * `writeCampaignDataset`: the dataset files from manifest.json, plan.jsonl and the transcripts, shard by shard
 * (one shard's transcripts in memory at a time), every file written atomically and depending only on those
 * inputs, so a retried export writes the same bytes.
 */
import { Context } from '@temporalio/activity';
import type {
  CampaignItem,
  CampaignManifest,
  CurateRule,
  ManifestItem,
  QualityFlags,
} from '../../contracts/campaign';
import type { CampaignSpec } from '../../contracts/campaign-spec';
import { campaignKey, MANIFEST_FILE, readManifest, readPlan, removeStale } from '../../output/campaign-files';
import type { OutputStore } from '../../output/store';
import { readTranscript } from '../../output/transcript-record';
import { datasetCard } from './card';
import { curateFacts, curationSummary, droppedBy } from './curate';
import { DiversityTally } from './diversity';
import { filesMissing, SHARED_STORE_HINT, toFileFailure, transcriptsMissing } from './errors';
import { serializeManifest } from './manifest';
import { clusterSignatures, conversationText, signatureOf } from './near-duplicates';
import {
  CONVERSATIONS_TABLE,
  MESSAGES_TABLE,
  parquetFile,
  PERSPECTIVE_TABLE,
  SHAREGPT_TABLE,
  type CuratedRow,
} from './parquet';
import { qualityFlags } from './quality';
import {
  conversationRow,
  localMessages,
  toMessagesLine,
  toPerspectiveLine,
  toShareGptLine,
  type ChatMessage,
} from './records';
import { renderReport, REPORT_FILE, transcriptLinks } from './report';
import { ConversationViewWriter, viewedItems, writeViewerIndex } from './viewer/write';
import { DEFAULT_SHARD_ROWS, isShardOf, shardCount, shardGlob, shardName } from './shards';
import type { DatasetDeps, WriteDatasetInput, WriteDatasetOutput } from './types';

export const PERSPECTIVES_FOLDER = 'perspectives';
export const CARD_FILE = 'README.md';

/** A file of the dataset: its stem and format; `perspective` files are in perspectives/. */
interface DatasetFile {
  stem: string;
  ext: 'parquet' | 'jsonl';
  perspective?: boolean;
}

/** The files of the kept conversations (the `train` split of every config, and the JSONL twins). */
const TRAIN_FILES: DatasetFile[] = [
  { stem: 'conversations', ext: 'parquet' },
  { stem: 'conversations', ext: 'jsonl' },
  { stem: 'messages', ext: 'parquet' },
  { stem: 'sharegpt', ext: 'parquet' },
  { stem: 'sharegpt', ext: 'jsonl' },
  { stem: 'cloud', ext: 'parquet', perspective: true },
  { stem: 'cloud', ext: 'jsonl', perspective: true },
  { stem: 'local', ext: 'parquet', perspective: true },
  { stem: 'local', ext: 'jsonl', perspective: true },
];
/** The conversations `curate` dropped: the default config's `dropped` split, and its JSONL twin. */
const DROPPED_FILES: DatasetFile[] = [
  { stem: 'dropped', ext: 'parquet' },
  { stem: 'dropped', ext: 'jsonl' },
];
const ALL_FILES = [...TRAIN_FILES, ...DROPPED_FILES];

/** A file's name in the campaign's folder, for shard `index` of `count`. */
const fileName = (f: DatasetFile, index: number, count: number) =>
  `${f.perspective ? `${PERSPECTIVES_FOLDER}/` : ''}${shardName(f.stem, f.ext, index, count)}`;
const fileGlob = (f: DatasetFile, count: number) =>
  `${f.perspective ? `${PERSPECTIVES_FOLDER}/` : ''}${shardGlob(f.stem, f.ext, count)}`;

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

/** The content of each of one shard's files, from its rows: one file at a time, so only one is in memory. */
async function* shardFiles(
  rows: readonly CuratedRow[],
  local: readonly ChatMessage[][],
  files: readonly DatasetFile[],
  createdBy: string,
): AsyncGenerator<[DatasetFile, string | Uint8Array]> {
  for (const file of files) {
    const parquet = file.ext === 'parquet';
    switch (file.stem) {
      case 'conversations':
      case 'dropped':
        yield [
          file,
          parquet
            ? await parquetFile(CONVERSATIONS_TABLE, rows, createdBy)
            : lines(rows.map(({ droppedBy: rules, ...row }) => toMessagesLine(row, rules))),
        ];
        break;
      case 'messages':
        yield [file, await parquetFile(MESSAGES_TABLE, rows, createdBy)];
        break;
      case 'sharegpt':
        yield [
          file,
          parquet ? await parquetFile(SHAREGPT_TABLE, rows, createdBy) : lines(rows.map(toShareGptLine)),
        ];
        break;
      default: {
        const messages = file.stem === 'cloud' ? rows.map((r) => r.messages) : local;
        yield [
          file,
          parquet
            ? await parquetFile(PERSPECTIVE_TABLE, messages, createdBy)
            : lines(messages.map(toPerspectiveLine)),
        ];
      }
    }
  }
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
      const transcriptOf = async (item: ManifestItem) => {
        const transcriptKey = keys.get(item.itemHash)!;
        const transcript = await readTranscript(store, transcriptKey);
        if (!transcript)
          throw transcriptsMissing(store.location(), [`item ${item.itemHash}: ${transcriptKey}`]);
        return transcript;
      };

      // A first pass, the transcripts read one at a time: each conversation's near-duplicate signature, its
      // quality flags with the diversity figures (computed here too for items checkpointed by an older build),
      // and the dataset's diversity; and the viewer's file of each conversation no checkpoint wrote (an older
      // build's).
      const signatures = [];
      const tally = new DiversityTally();
      const qualityOf = new Map<string, QualityFlags>();
      const viewed = await viewedItems(store, campaignId);
      const views = new ConversationViewWriter(store, campaignId);
      for (const item of said) {
        const transcript = await transcriptOf(item);
        const { turns, endReason } = transcript;
        const ended = item.outcome?.endReason ?? endReason;
        const limits = { cloud: item.sampling?.cloud.maxTokens, local: item.sampling?.local.maxTokens };
        if (!viewed.has(item.itemHash)) await views.add(item, transcript, limits);
        signatures.push({
          itemHash: item.itemHash,
          index: item.index,
          signature: signatureOf(conversationText(turns)),
        });
        const flags = item.quality ?? qualityFlags(turns, limits, ended);
        qualityOf.set(item.itemHash, { ...flags, ...tally.add(item, turns, ended) });
      }
      await views.flush();
      const { nearDuplicateOf } = clusterSignatures(signatures);
      const diversity = tally.finish(nearDuplicateOf);

      const spec = stored.spec as Pick<CampaignSpec, 'dedup' | 'curate'>;
      const dedup = spec.dedup === true;
      const candidates = dedup ? said.filter((i) => !nearDuplicateOf.has(i.itemHash)) : said;
      const drops = new Map<string, CurateRule[]>();
      for (const item of spec.curate ? candidates : []) {
        const facts = curateFacts(item, qualityOf.get(item.itemHash)!, nearDuplicateOf.has(item.itemHash));
        const rules = droppedBy(spec.curate!, facts);
        if (rules.length > 0) drops.set(item.itemHash, rules);
      }
      const curation = spec.curate
        ? curationSummary(candidates.map((i) => drops.get(i.itemHash) ?? []))
        : undefined;

      const { items: storedItems, ...head } = stored;
      const manifest: CampaignManifest = {
        ...head,
        ...(input.status !== undefined && { status: input.status }),
        diversity,
        ...(curation && { curation }),
        items: storedItems.map((item) => {
          const marked: ManifestItem = { ...item };
          delete marked.nearDuplicateOf;
          delete marked.droppedBy;
          const quality = qualityOf.get(item.itemHash);
          const of = nearDuplicateOf.get(item.itemHash);
          const rules = drops.get(item.itemHash);
          return {
            ...marked,
            ...(quality && { quality }),
            ...(of && { nearDuplicateOf: of }),
            ...(rules && { droppedBy: rules }),
          };
        }),
      };
      const byHash = new Map(manifest.items.map((i) => [i.itemHash, i]));
      const kept = candidates.filter((i) => !drops.has(i.itemHash)).map((i) => byHash.get(i.itemHash)!);
      const dropped = candidates.filter((i) => drops.has(i.itemHash)).map((i) => byHash.get(i.itemHash)!);
      const createdBy = `llm-conversation-service version ${manifest.provenance.packageVersion}`;
      const latencyMs = { cloud: [] as number[], local: [] as number[] };
      const written: string[] = [];

      /** Shards of `items` in `files`, one shard's transcripts in memory at a time; the number of shards. */
      const writeShards = async (items: readonly ManifestItem[], files: readonly DatasetFile[]) => {
        const count = shardCount(items.length, perShard);
        for (let shard = 0; shard < count; shard++) {
          const rows: CuratedRow[] = [];
          const local: ChatMessage[][] = [];
          for (const item of items.slice(shard * perShard, (shard + 1) * perShard)) {
            const { turns } = await transcriptOf(item);
            const plannedItem = planned.get(item.itemHash);
            if (!plannedItem)
              throw filesMissing(`item ${item.itemHash} of manifest.json is not in plan.jsonl`);
            for (const t of turns) {
              latencyMs.cloud.push(t.cloudLatencyMs);
              latencyMs.local.push(t.localLatencyMs);
            }
            const row = conversationRow({
              campaignId: manifest.campaignId,
              item,
              planned: plannedItem,
              turns,
            });
            rows.push({ ...row, droppedBy: item.droppedBy ?? [] });
            local.push(localMessages(turns, row.metadata.local.system_prompt));
          }
          for await (const [file, content] of shardFiles(rows, local, files, createdBy)) {
            const name = fileName(file, shard, count);
            await store.write(key(name), content);
            written.push(name);
          }
          Context.current().heartbeat({ files: files[0]!.stem, shard, of: count });
        }
        return count;
      };
      const trainShards = await writeShards(kept, TRAIN_FILES);
      // No dropped split when none was dropped: the `datasets` library refuses to load an empty split.
      const droppedShards = dropped.length > 0 ? await writeShards(dropped, DROPPED_FILES) : 0;

      // Files of an earlier attempt or run that this one did not write (another shard count, no dropped split).
      const writtenIn = (prefix: string) =>
        new Set(
          written
            .filter((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('/'))
            .map((n) => n.slice(prefix.length)),
        );
      const ours = (perspective: boolean) => (n: string) =>
        ALL_FILES.some((f) => !!f.perspective === perspective && isShardOf(n, f.stem, f.ext));
      await removeStale(store, campaignKey(campaignId), ours(false), writtenIn(''));
      await removeStale(store, key(PERSPECTIVES_FOLDER), ours(true), writtenIn(`${PERSPECTIVES_FOLDER}/`));

      const parquetGlob = (stem: string, count: number, perspective = false) =>
        fileGlob({ stem, ext: 'parquet', perspective }, count);
      const card = datasetCard(manifest, {
        rows: kept.length,
        shardRows: perShard,
        nearDuplicates: { count: nearDuplicateOf.size, leftOut: dedup },
        configs: [
          {
            name: 'default',
            splits: [
              ['train', parquetGlob('conversations', trainShards)],
              ...(droppedShards > 0
                ? [['dropped', parquetGlob('dropped', droppedShards)] as [string, string]]
                : []),
            ],
          },
          { name: 'messages', splits: [['train', parquetGlob('messages', trainShards)]] },
          { name: 'sharegpt', splits: [['train', parquetGlob('sharegpt', trainShards)]] },
          { name: 'cloud_perspective', splits: [['train', parquetGlob('cloud', trainShards, true)]] },
          { name: 'local_perspective', splits: [['train', parquetGlob('local', trainShards, true)]] },
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
