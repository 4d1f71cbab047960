/** The dataset activities' dependencies, inputs and outputs. Type-only: the campaign workflow imports it. */
import type { ModelPrices } from '../../models/prices';
import type { OutputStore } from '../../output/store';
import type { OllamaClient } from '../../models/ollama-client';
import type { ModelSource } from './provenance';
import type { LlmServiceClient } from '../../conversation/activities/llm-service-client';
import type {
  CampaignCounts,
  CampaignFailure,
  CampaignStatus,
  CampaignStopReason,
  CampaignTotals,
  ItemOutcome,
  JudgeSpec,
} from '../../contracts/campaign';
import type { CampaignSpec } from '../../contracts/campaign-spec';

/** USD per 1 000 tokens, per model id (MODEL_PRICES_FILE). */
export type PriceTable = ModelPrices;

export interface DatasetDeps {
  /** OUTPUT_DIR or OUTPUT_URL: every file goes under `campaigns/<campaignId>/` in it. */
  store: OutputStore;
  /** The judge on the local side; provenance of the default local endpoint's models unless `modelSources` says. */
  ollama: OllamaClient;
  /** The judge on the cloud side; without it a cloud judge fails (non-retryable). */
  llmService?: LlmServiceClient;
  temporalNamespace: string;
  /** The region the cloud side calls Bedrock in, where known. */
  awsRegion?: string;
  /**
   * Where each endpoint's models are looked up for provenance, by endpoint name. Unset: the two defaults, `ollama`
   * for the local side and Bedrock (with `awsRegion`) for the cloud side.
   */
  modelSources?: ReadonlyMap<string, ModelSource>;
  /** The models a conversation gets when its spec names none (the Lambda's BEDROCK_MODEL_ID, OLLAMA_MODEL). */
  cloudModelDefault?: string;
  localModelDefault?: string;
  /** CLOUD_MAX_TOKENS and LOCAL_MAX_TOKENS: a reply that used them all counts as truncated. */
  maxTokensDefault?: { cloud: number; local: number };
  prices?: PriceTable;
  /** Rows per shard of the dataset files (default DEFAULT_SHARD_ROWS). */
  shardRows?: number;
}

export interface CheckpointInput {
  campaignId: string;
  workflowId: string;
  spec: CampaignSpec;
  status: CampaignStatus;
  stopReason?: CampaignStopReason;
  /** Status `failed`: why. */
  failure?: CampaignFailure;
  counts: CampaignCounts;
  totals: CampaignTotals;
  /** ISO 8601 UTC. */
  startedAt: string;
  endedAt?: string;
  /** New or changed outcomes since the last checkpoint (all of them is fine too): merged by itemHash. */
  outcomes: ItemOutcome[];
  /** Items whose conversation is running now (their state in the manifest); others without an outcome are pending. */
  runningItems?: string[];
  /**
   * When the workflow took this checkpoint (its deterministic clock): the manifest's updatedAt, so a retried
   * checkpoint writes the same bytes. Unset: endedAt, else the latest outcome's end, else startedAt.
   */
  at?: string;
  /** From planCampaign, when the spec named a seedsFile. */
  seedsFile?: { name: string; sha256: string };
}

export interface CheckpointOutput {
  /** Where manifest.json is: a path under OUTPUT_DIR, or its s3:// URL. */
  manifestPath: string;
  items: number;
}

export interface WriteDatasetInput {
  campaignId: string;
  /**
   * The campaign's end: manifest.json says it once the dataset is whole (until then the last checkpoint's
   * `writing_dataset`). Unset (tests of the files alone): the manifest is left as the last checkpoint wrote it.
   */
  status?: Extract<CampaignStatus, 'completed' | 'cancelled'>;
}

export interface WriteDatasetOutput {
  /** Every file written, relative to the campaign's folder, in a fixed order. */
  files: string[];
}

export interface JudgeInput {
  conversationId: string;
  /** The conversation's JSONL where exportTranscript reported it (its location in the output store). */
  jsonlPath: string;
  judge: JudgeSpec;
}
