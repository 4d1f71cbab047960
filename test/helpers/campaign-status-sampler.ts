import type { Client, WorkflowHandle } from '@temporalio/client';
import { campaignStatusQuery } from '../../src/contracts/campaign';
import type { CampaignCounts } from '../../src/contracts/campaign';

/** One ask of the campaignStatus query: when, and the counts (none when no worker answered). */
export interface StatusSample {
  at: number;
  counts?: CampaignCounts;
}

/**
 * Asks a campaign's status every `everyMs`, one query at a time, each given ten times that to answer; a failed one
 * is a sample without counts. `stop()` ends the sampling once the query in flight is done.
 */
export function sampleCampaignStatus(
  client: Pick<Client, 'withDeadline'>,
  handle: Pick<WorkflowHandle, 'query'>,
  everyMs: number,
): { samples: StatusSample[]; stop(): Promise<void> } {
  const samples: StatusSample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      const counts = await client
        .withDeadline(at + everyMs * 10, () => handle.query(campaignStatusQuery))
        .then((s) => s.counts)
        .catch(() => undefined);
      samples.push({ at, ...(counts && { counts }) });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + everyMs - Date.now())));
    }
  })();
  return {
    samples,
    stop: async () => {
      sampling = false;
      await sampler;
    },
  };
}
