/**
 * `writeCampaignDataset`: the dataset files from manifest.json, plan.jsonl and the transcripts, shard by shard
 * (one shard's transcripts in memory at a time), every file written atomically and depending only on those
 * inputs, so a retried export writes the same bytes.
 */
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { CampaignItem, ManifestItem } from '../../contracts/campaign';
import { datasetCard } from './card';
import { readManifest } from './checkpoint';
import { filesMissing, toFileFailure } from './errors';
import { CAMPAIGNS_FOLDER, campaignFolder, readPlan } from '../../output/campaign-files';
import { removeStale, writeInFolder, type Folder } from '../../output/files';
import { conversationsParquet } from './parquet';
import {
  conversationRow,
  localMessages,
  toMessagesLine,
  toPerspectiveLine,
  toShareGptLine,
  type ConversationRow,
} from './records';
import { renderReport, REPORT_FILE } from './report';
import { DEFAULT_SHARD_ROWS, isShardOf, shardCount, shardGlob, shardName } from './shards';
import { readTranscript } from '../../output/transcript-record';
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

export function makeWriteCampaignDataset(deps: DatasetDeps) {
  const perShard = deps.shardRows ?? DEFAULT_SHARD_ROWS;
  return async function writeCampaignDataset(input: WriteDatasetInput): Promise<WriteDatasetOutput> {
    try {
      const folder = await campaignFolder(deps.outputDir, input.campaignId);
      const perspectives = await campaignFolder(deps.outputDir, input.campaignId, [PERSPECTIVES_FOLDER]);
      const manifest = await readManifest(deps.outputDir, folder);
      const plan = await readPlan(deps.outputDir, folder);
      if (!manifest || !plan) {
        throw filesMissing(
          `campaigns/${input.campaignId}: manifest.json or plan.jsonl is missing: checkpoint first`,
        );
      }
      const planned = new Map<string, CampaignItem>(plan.map((i) => [i.itemHash, i]));
      const items = datasetItems(manifest.items);
      const count = shardCount(items.length, perShard);
      const createdBy = `llm-conversation-service version ${manifest.provenance.packageVersion}`;
      const latencyMs = { cloud: [] as number[], local: [] as number[] };
      const written: string[] = [];

      for (let shard = 0; shard < count; shard++) {
        const rows: ConversationRow[] = [];
        const local: string[] = [];
        for (const item of items.slice(shard * perShard, (shard + 1) * perShard)) {
          const transcript = await readTranscript(deps.outputDir, item.outcome!.jsonlPath!);
          const plannedItem = planned.get(item.itemHash);
          if (!transcript || !plannedItem) {
            throw filesMissing(
              `the transcript of item ${item.itemHash} (${item.outcome!.jsonlPath}) is missing`,
            );
          }
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
        const files: [Folder, string, string | Uint8Array][] = [
          [folder, name('conversations', 'parquet'), await conversationsParquet(rows, createdBy)],
          [folder, name('conversations', 'jsonl'), lines(rows.map(toMessagesLine))],
          [folder, name('sharegpt', 'jsonl'), lines(rows.map(toShareGptLine))],
          [perspectives, name('cloud', 'jsonl'), lines(rows.map((r) => toPerspectiveLine(r.messages)))],
          [perspectives, name('local', 'jsonl'), lines(local)],
        ];
        for (const [where, file, content] of files) {
          await writeInFolder(where, file, content);
          written.push(where === perspectives ? `${PERSPECTIVES_FOLDER}/${file}` : file);
        }
        Context.current().heartbeat({ shard, of: count });
      }

      const keepMain = new Set(
        MAIN_FILES.map(([stem, ext]) =>
          [...Array(count).keys()].map((s) => shardName(stem, ext, s, count)),
        ).flat(),
      );
      await removeStale(folder, (n) => MAIN_FILES.some(([stem, ext]) => isShardOf(n, stem, ext)), keepMain);
      const keepPerspectives = new Set(
        PERSPECTIVES.flatMap((stem) =>
          [...Array(count).keys()].map((s) => shardName(stem, 'jsonl', s, count)),
        ),
      );
      await removeStale(
        perspectives,
        (n) => PERSPECTIVES.some((stem) => isShardOf(n, stem, 'jsonl')),
        keepPerspectives,
      );

      const card = datasetCard(manifest, {
        rows: items.length,
        shardRows: perShard,
        configs: [
          ['default', shardGlob('conversations', 'parquet', count)],
          ['messages', shardGlob('conversations', 'jsonl', count)],
          ['sharegpt', shardGlob('sharegpt', 'jsonl', count)],
          ['cloud_perspective', `${PERSPECTIVES_FOLDER}/${shardGlob('cloud', 'jsonl', count)}`],
          ['local_perspective', `${PERSPECTIVES_FOLDER}/${shardGlob('local', 'jsonl', count)}`],
        ],
      });
      await writeInFolder(folder, CARD_FILE, card);
      written.push(CARD_FILE);

      await writeInFolder(
        folder,
        REPORT_FILE,
        renderReport({ manifest, latencyMs, folder: path.posix.join(CAMPAIGNS_FOLDER, manifest.campaignId) }),
      );
      written.push(REPORT_FILE);
      return { files: written.sort() };
    } catch (err) {
      throw toFileFailure(err);
    }
  };
}
