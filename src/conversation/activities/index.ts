import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../../contracts/conversation';
import { DEFAULT_CONTEXT_TOKENS, DEFAULT_ENDPOINTS } from '../../contracts/limits';
import type { OllamaClient } from '../../models/ollama-client';
import { makeAskCloud } from './cloud';
import type { CloudDeps } from './cloud';
import { makeCloudBatchActivities } from './batch-turn';
import type { CloudBatchDeps } from './batch-turn';
import { makeAskLocal } from './local';
import type { LocalDeps } from './local';
import { makeExportTranscript } from './export-transcript';
import type { ExportDeps } from './export-transcript';
import type { ConversationMetrics } from '../metrics';
import type { AskCloudInput, AskLocalInput, ChosenEndpoints, ProviderTaskQueues } from './types';

export interface ActivitiesDeps {
  /** The LLM REST service client, the answer length we ask of the cloud model, prices and the tokens budget. */
  llmService: CloudDeps;
  /** The `ollama` client, the default local model, its answer length and prices. */
  ollama: LocalDeps & { client: OllamaClient };
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
  /** The other endpoints of MODEL_ENDPOINTS_FILE, by name: what each side calls there, and its capped queue. */
  endpoints?: ReadonlyMap<string, EndpointDeps>;
  /** Batch mode's S3 and Bedrock access (see batch-turn.ts); unset, conversations of batch campaigns fail. */
  cloudBatch?: CloudBatchDeps;
}

/** One endpoint's calls: a side it cannot serve is left out (see SIDE_KINDS). */
export interface EndpointDeps {
  cloud?: CloudDeps;
  local?: LocalDeps;
  /** Its calls' task queue while it is capped; unset: the workflow's own queue. */
  taskQueue?: string;
}

/** The activities, built over injected clients so tests and benchmarks can pass fakes. */
export function createActivities({
  llmService,
  ollama,
  output,
  metrics,
  taskQueues,
  endpoints = new Map(),
  cloudBatch,
}: ActivitiesDeps) {
  const defaults = { cloud: makeAskCloud(llmService, metrics), local: makeAskLocal(ollama, metrics) };
  const calls = new Map(
    [...endpoints].map(([name, deps]) => [
      name,
      {
        cloud: deps.cloud && makeAskCloud(deps.cloud, metrics),
        local: deps.local && makeAskLocal(deps.local, metrics),
      },
    ]),
  );
  /**
   * The endpoint a conversation named for `side`, or undefined for the side's default; one this worker cannot call
   * for that side fails the conversation.
   */
  function chosenEndpoint(side: 'cloud' | 'local', name: string | undefined): string | undefined {
    if (name === undefined || name === DEFAULT_ENDPOINTS[side]) return undefined;
    if (!endpoints.get(name)?.[side]) throw unknownEndpoint(side, name);
    return name;
  }
  function callOf<S extends 'cloud' | 'local'>(side: S, name: string | undefined) {
    const chosen = chosenEndpoint(side, name);
    return chosen === undefined ? defaults[side] : calls.get(chosen)![side]!;
  }
  return {
    ...makeCloudBatchActivities(cloudBatch),
    askCloud: (input: AskCloudInput) => callOf('cloud', input.endpoint)(input),
    askLocal: (input: AskLocalInput) => callOf('local', input.endpoint)(input),
    exportTranscript: makeExportTranscript(output, metrics),
    /**
     * A local activity: a workflow cannot read the worker's configuration, so it asks once and records it. With
     * the endpoints it named, each side's calls go to that endpoint's queue, and its prompts are kept within that
     * endpoint's context window.
     */
    async providerTaskQueues(chosen?: ChosenEndpoints): Promise<ProviderTaskQueues> {
      const own = Context.current().info.taskQueue;
      const queueOf = (side: 'cloud' | 'local') => {
        const name = chosenEndpoint(side, chosen?.[side]);
        return (name === undefined ? taskQueues?.[side] : endpoints.get(name)!.taskQueue) ?? own;
      };
      const contextOf = (side: 'cloud' | 'local') => {
        const name = chosenEndpoint(side, chosen?.[side]);
        const deps =
          name === undefined ? { cloud: llmService, local: ollama }[side] : endpoints.get(name)![side]!;
        return { contextTokens: deps.contextTokens ?? DEFAULT_CONTEXT_TOKENS, maxTokens: deps.maxTokens };
      };
      return {
        cloud: queueOf('cloud'),
        local: queueOf('local'),
        context: { cloud: contextOf('cloud'), local: contextOf('local') },
      };
    },
  };
}

/** A conversation started outside the API (which checks the name) named an endpoint this worker cannot call. */
function unknownEndpoint(side: 'cloud' | 'local', name: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${side}.endpoint "${name}": this worker has no such endpoint for the ${side} side (MODEL_ENDPOINTS_FILE)`,
    side === 'cloud' ? FailureType.CloudRejected : FailureType.LocalRejected,
  );
}

export type ConversationActivities = ReturnType<typeof createActivities>;
