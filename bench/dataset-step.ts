/**
 * The dataset step alone, in its own process (run by bench/dataset.ts with the campaign's OUTPUT_DIR and id):
 * writeCampaignDataset as the worker runs it, then the diversity measures timed over every transcript (read
 * beforehand, one at a time, outside the timing; CPU seconds). Prints `{metricsSeconds, stepSeconds, peakRssMb}`; the peak is
 * the process's once the step is done, before the measures run on their own.
 */
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { makeDatasetActivities } from '../src/campaign/activities/dataset';
import { DiversityTally } from '../src/campaign/dataset/diversity';
import { readManifest } from '../src/output/campaign-files';
import { LocalStore } from '../src/output/local-store';
import { createOllamaClient } from '../src/models/ollama-client';
import { readTranscript } from '../src/output/transcript-record';

async function main(): Promise<void> {
  const [outputDir, campaignId] = process.argv.slice(2) as [string, string];
  const store = new LocalStore(outputDir);
  const { writeCampaignDataset } = makeDatasetActivities({
    store,
    ollama: createOllamaClient('http://127.0.0.1:9'),
    temporalNamespace: 'default',
  });
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  const started = performance.now();
  await env.run(writeCampaignDataset, { campaignId, status: 'completed' as const });
  const stepSeconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const manifest = (await readManifest(store, campaignId))!;
  const tally = new DiversityTally();
  // CPU time: the measures are synchronous, and the figure should not depend on what else the machine runs.
  let metricsMs = 0;
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  for (const item of manifest.items) {
    const key = item.outcome?.jsonlPath === undefined ? undefined : store.keyOf(item.outcome.jsonlPath);
    if (key === undefined) continue;
    const { turns } = (await readTranscript(store, key))!;
    const start = cpuMs();
    tally.add(item, turns, item.outcome?.endReason);
    metricsMs += cpuMs() - start;
  }
  const start = cpuMs();
  tally.finish(new Map());
  metricsMs += cpuMs() - start;
  process.stdout.write(JSON.stringify({ metricsSeconds: metricsMs / 1000, stepSeconds, peakRssMb }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
