import { Context } from '@temporalio/activity';
import { makeAskCloud } from './cloud';
import type { CloudDeps } from './cloud';
import { makeCloudBatchActivities } from './cloud-batch';
import type { CloudBatchDeps } from './cloud-batch';
import { makeAskLocal } from './local';
import type { LocalDeps } from './local';
import { makeExportTranscript } from './export-transcript';
import type { ExportDeps } from './export-transcript';
import type { ConversationMetrics } from '../metrics';
import type { ProviderTaskQueues } from './types';

export interface ActivitiesDeps {
  /** The LLM REST service client, the answer length we ask of the cloud model, prices and the tokens budget. */
  llmService: CloudDeps;
  /** The `ollama` client, the default local model, its answer length and prices. */
  ollama: LocalDeps;
  /** OUTPUT_DIR, and whether CSV cells that a spreadsheet would evaluate are escaped (default: yes). */
  output: ExportDeps;
  /** The worker's conversation and model-call metrics; unset, nothing is counted. */
  metrics?: ConversationMetrics;
  /**
   * The task queues of capped providers' calls (TEMPORAL_CLOUD_TASK_QUEUE, TEMPORAL_LOCAL_TASK_QUEUE), which
   * workflows ask for with `providerTaskQueues`; a provider left out runs its calls on the workflow's own task
   * queue (one Worker serves everything, as tests do).
   */
  taskQueues?: Partial<ProviderTaskQueues>;
  /** Batch mode's S3 and Bedrock access (see cloud-batch.ts); unset, conversations of batch campaigns fail. */
  cloudBatch?: CloudBatchDeps;
}

/** The activities, built over injected clients so tests and benchmarks can pass fakes. */
export function createActivities({
  llmService,
  ollama,
  output,
  metrics,
  taskQueues,
  cloudBatch,
}: ActivitiesDeps) {
  return {
    ...makeCloudBatchActivities(cloudBatch),
    askCloud: makeAskCloud(llmService, metrics),
    askLocal: makeAskLocal(ollama, metrics),
    exportTranscript: makeExportTranscript(output, metrics),
    /** A local activity: a workflow cannot read the worker's configuration, so it asks once and records it. */
    async providerTaskQueues(): Promise<ProviderTaskQueues> {
      const own = Context.current().info.taskQueue;
      return { cloud: taskQueues?.cloud ?? own, local: taskQueues?.local ?? own };
    },
  };
}

export type ConversationActivities = ReturnType<typeof createActivities>;
