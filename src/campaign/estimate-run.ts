/**
 * A campaign's estimate as the CLI's `--estimate` and the API's `dryRun` make it: the bounds and the assumed figures
 * (estimate.ts), with expected figures measured on a pilot when one is asked for, else on the past runs of the same
 * settings when there are any; recorded in estimate.json for the campaign that follows.
 */
import { DEFAULT_CAMPAIGN_CONCURRENCY } from '../contracts/campaign-spec';
import type { OutputStore } from '../output/store';
import type { CampaignEstimate, MeasuredRate, Side } from './estimate';
import { withMeasured } from './estimate';
import { estimateFromMeasured } from './estimate-measured';
import { estimateRecord, writeEstimateRecord } from './estimate-record';
import { estimateOf, type EstimateSettings } from './estimate-settings';
import { pastRuns, runPilot, type Measurements, type PilotOptions } from './estimate-sources';
import { defaultPilotSize, pilotSizeProblem } from './pilot-sample';
import type { ValidCampaign } from './validate';

/** `auto`: defaultPilotSize. */
export type PilotSize = number | 'auto';

export interface EstimateRunOptions {
  campaign: ValidCampaign;
  settings: EstimateSettings;
  store: OutputStore;
  rates?: Partial<Record<Side, MeasuredRate>>;
  /** Runs a pilot of this size first. */
  pilot?: Omit<PilotOptions, 'campaign' | 'store' | 'items'> & { size: PilotSize };
  now?: () => Date;
}

export function concurrencyOf(campaign: ValidCampaign): number {
  return campaign.spec.concurrency ?? DEFAULT_CAMPAIGN_CONCURRENCY;
}

/** The pilot's size in items, or why it cannot be: the message names no field (the caller's is `pilot`). */
export function pilotSizeOf(
  campaign: ValidCampaign,
  size: PilotSize,
): { ok: true; items: number } | { ok: false; message: string } {
  const items = size === 'auto' ? defaultPilotSize(campaign.items, concurrencyOf(campaign)) : size;
  const problem = pilotSizeProblem(campaign.items, items);
  return problem ? { ok: false, message: problem } : { ok: true, items };
}

function measuredWith(campaign: ValidCampaign, m: Measurements) {
  return estimateFromMeasured({
    items: m.items,
    observed: m.observed,
    concurrency: concurrencyOf(campaign),
    overheadMs: m.overheadMs,
  });
}

export async function runEstimate(
  options: EstimateRunOptions,
): Promise<{ estimate: CampaignEstimate; recorded: boolean }> {
  const { campaign, settings, store } = options;
  let estimate = estimateOf(campaign, settings, options.rates);
  if (options.pilot) {
    const size = pilotSizeOf(campaign, options.pilot.size);
    if (!size.ok) throw new RangeError(`pilot: ${size.message}`);
    const m = await runPilot({ ...options.pilot, campaign, store, items: size.items });
    estimate = withMeasured(estimate, 'pilot', {
      ...measuredWith(campaign, m),
      from: m.from,
      pilot: { campaignId: m.pilotId, items: size.items },
    });
  } else {
    const past = await pastRuns(store, campaign, settings.defaults);
    if ('observed' in past) {
      estimate = withMeasured(estimate, 'past-runs', { ...measuredWith(campaign, past), from: past.from });
    } else {
      estimate = {
        ...estimate,
        assumptions: [
          ...estimate.assumptions,
          `no finished campaign in the output store ran ${past.missing} of the spec's settings (endpoint, model, ` +
            'options): the expected figures are the assumptions above; a pilot (--pilot) measures them',
        ],
      };
    }
  }
  const record = estimateRecord(campaign, estimate, (options.now ?? (() => new Date()))());
  return { estimate, recorded: await writeEstimateRecord(store, record) };
}
