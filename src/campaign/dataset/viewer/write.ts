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

/** Conversation files written at once: each write waits on the disk (fsync) or the network, not on the CPU. */
const WRITES_IN_FLIGHT = 16;

/**
 * Writes `viewer/conversations/<itemHash>.js` files, up to WRITES_IN_FLIGHT at once: `add` returns once the file is
 * under way (waiting while that many are), `flush` once all are written, with the first failure if any.
 */
export class ConversationViewWriter {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly store: OutputStore,
    private readonly campaignId: string,
  ) {}

  async add(
    item: Pick<ManifestItem, 'itemHash' | 'conversationId'>,
    transcript: Transcript,
    limits: ReplyLimits,
  ): Promise<void> {
    if (this.failure) throw this.failure.error;
    const view = conversationView({
      item: item.itemHash,
      conversationId: item.conversationId,
      endReason: transcript.endReason,
      turns: transcript.turns,
      limits,
    });
    const write: Promise<void> = this.store
      .write(campaignKey(this.campaignId, viewerConversationFile(item.itemHash)), conversationScript(view))
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
    if (this.pending.size >= WRITES_IN_FLIGHT) await Promise.race(this.pending);
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending);
    if (this.failure) throw this.failure.error;
  }
}

/** The item hashes that have a conversation file already. */
export async function viewedItems(store: OutputStore, campaignId: string): Promise<Set<string>> {
  const folder = campaignKey(campaignId, VIEWER_CONVERSATIONS_FOLDER);
  const keys = await store.list(folder);
  return new Set(keys.map((k) => k.slice(folder.length + 1).replace(/\.js$/, '')));
}
