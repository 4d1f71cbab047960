/** The viewer's files written into the campaign's folder of the output store (see data.ts). */
import type { CampaignManifest, ManifestItem } from '../../../contracts/campaign';
import { campaignKey } from '../../../output/campaign-files';
import type { OutputStore } from '../../../output/store';
import type { Transcript } from '../../../output/transcript-record';
import type { ReplyLimits } from '../quality';
import type { TranscriptLink } from '../report';
import {
  conversationScript,
  conversationView,
  VIEWER_CONVERSATIONS_FOLDER,
  VIEWER_INDEX_FILE,
  viewerConversationFile,
  viewerIndex,
  viewerIndexScript,
} from './data';

/** `viewer/index.js` from the manifest: written with every report.html, so the two always agree. */
export async function writeViewerIndex(
  store: OutputStore,
  manifest: CampaignManifest,
  link: TranscriptLink,
): Promise<void> {
  await store.write(
    campaignKey(manifest.campaignId, VIEWER_INDEX_FILE),
    viewerIndexScript(viewerIndex(manifest, link)),
  );
}

/** `viewer/conversations/<itemHash>.js` from the item's transcript. */
export async function writeConversationView(
  store: OutputStore,
  campaignId: string,
  item: Pick<ManifestItem, 'itemHash' | 'conversationId'>,
  transcript: Transcript,
  limits: ReplyLimits,
): Promise<void> {
  await store.write(
    campaignKey(campaignId, viewerConversationFile(item.itemHash)),
    conversationScript(
      conversationView({
        item: item.itemHash,
        conversationId: item.conversationId,
        endReason: transcript.endReason,
        turns: transcript.turns,
        limits,
      }),
    ),
  );
}

/** The item hashes that have a conversation file already. */
export async function viewedItems(store: OutputStore, campaignId: string): Promise<Set<string>> {
  const folder = campaignKey(campaignId, VIEWER_CONVERSATIONS_FOLDER);
  const keys = await store.list(folder);
  return new Set(keys.map((k) => k.slice(folder.length + 1).replace(/\.js$/, '')));
}
