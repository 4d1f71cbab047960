import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import { makeDatasetActivities } from '../../src/campaign/activities/dataset';
import { makePlanActivities } from '../../src/campaign/activities/plan';
import type { ActivitiesDeps } from '../../src/conversation/activities/index';
import type { OllamaClient } from '../../src/models/ollama-client';
import type { OutputStore } from '../../src/output/store';
import { createWorker } from '../../src/worker/worker';

export interface CampaignWorkerOptions {
  env: TestWorkflowEnvironment;
  workflowBundle: WorkflowBundle;
  taskQueue: string;
  llm: ActivitiesDeps['llmService']['client'];
  ollama: OllamaClient;
  /** Where conversations export their transcripts. */
  store: OutputStore;
  /** Where the campaign's plan and dataset go; `store` unless told otherwise. */
  campaignStore?: OutputStore;
  inputDir: string;
  /** The cloud and the local answer lengths (10 each unless told otherwise). */
  maxTokens?: { cloud: number; local: number };
}

/** One worker for everything on `taskQueue`: conversations with fake models, and the real campaign activities. */
export function createCampaignWorker(options: CampaignWorkerOptions): Promise<Worker> {
  const { env, llm, ollama, store, inputDir } = options;
  const campaignStore = options.campaignStore ?? store;
  const maxTokens = options.maxTokens ?? { cloud: 10, local: 10 };
  return createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: {
      llmService: { client: llm, maxTokens: maxTokens.cloud },
      ollama: { client: ollama, model: 'fake-local', maxTokens: maxTokens.local },
      output: { store },
      campaign: {
        ...makePlanActivities({ store: campaignStore, inputDir }),
        ...makeDatasetActivities({ store: campaignStore, ollama, temporalNamespace: 'default' }),
      },
    },
  });
}
