/**
 * The campaign workflow's contract: its type name, id rules, signals and query, failure types, and the types its
 * parts exchange (the spec's expansion, the workflow, the dataset writers, the API and the CLI). Pure, so the
 * workflow bundle may import it. Names a user relies on (ids, routes, files) are fixed in docs/campaigns.md.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ConversationInput, EndReason, TokenUsage } from './conversation';
import type { EstimateComparison, EstimateRecord } from './campaign-estimate';

export const CAMPAIGN_WORKFLOW_TYPE = 'campaignWorkflow';
/**
 * The workflow task timeout of a campaign and of its conversations: a task that a dead worker held goes to another
 * worker after this long. Temporal's default (10 s) held the campaign's next starts that long after a worker SIGKILL
 * while its conversations ended and freed their slots.
 */
export const CAMPAIGN_WORKFLOW_TASK_TIMEOUT = '5 seconds';
/** Campaign workflow ids are `campaign-<campaignId>`; its conversations `campaign-<campaignId>-<itemHash>`. */
export const CAMPAIGN_WORKFLOW_ID_PREFIX = 'campaign-';
/** `campaign-<campaignId>-<12-digit item hash>` stays within a conversation id's 128 characters. */
export const MAX_CAMPAIGN_ID_CHARS = 64;
/** A campaign id names a folder: letters, digits, `.`, `_`, `-`, no path in it. Seed ids follow the same rule. */
export const CAMPAIGN_ID_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_CAMPAIGN_ID_CHARS - 1}}$`);
export const CAMPAIGN_ID_RULE = `must be 1..${MAX_CAMPAIGN_ID_CHARS} letters, digits, . _ - (starting with a letter or digit)`;
const ITEM_HASH = /^[0-9a-f]{12}$/;

export function isCampaignId(id: string): boolean {
  return CAMPAIGN_ID_PATTERN.test(id);
}

/** `campaign-<campaignId>`. */
export function campaignWorkflowId(campaignId: string): string {
  return `${CAMPAIGN_WORKFLOW_ID_PREFIX}${campaignId}`;
}

/** `campaign-<campaignId>-<itemHash>`: the id of an item's conversation. */
export function itemConversationId(campaignId: string, itemHash: string): string {
  return `${campaignWorkflowId(campaignId)}-${itemHash}`;
}

/** The campaignId of a campaign workflow id, or undefined when it is not `campaign-<valid campaignId>`. */
export function campaignIdOfWorkflowId(workflowId: string): string | undefined {
  if (!workflowId.startsWith(CAMPAIGN_WORKFLOW_ID_PREFIX)) return undefined;
  const id = workflowId.slice(CAMPAIGN_WORKFLOW_ID_PREFIX.length);
  return isCampaignId(id) ? id : undefined;
}

/**
 * The campaign a conversation belongs to, read from its id `campaign-<campaignId>-<itemHash>` (the same value as its
 * `CampaignId` search attribute, which activities cannot see); undefined for a conversation outside any campaign.
 */
export function campaignIdOf(conversationId: string): string | undefined {
  if (!conversationId.startsWith(CAMPAIGN_WORKFLOW_ID_PREFIX)) return undefined;
  const rest = conversationId.slice(CAMPAIGN_WORKFLOW_ID_PREFIX.length);
  const cut = rest.lastIndexOf('-');
  if (cut <= 0 || !ITEM_HASH.test(rest.slice(cut + 1))) return undefined;
  return rest.slice(0, cut);
}

/** ApplicationFailure types of the campaign's workflow and activities. */
export const CampaignFailureType = {
  /** The spec (or the workflow id it runs under) is invalid: permanent. */
  InvalidSpec: 'InvalidCampaignSpec',
  /** campaignItems ran before planCampaign wrote the plan: permanent. */
  PlanMissing: 'CampaignPlanMissing',
  /** plan.jsonl or manifest.json is not there: the activities ran out of order; retrying cannot help. */
  FilesMissing: 'CampaignFilesMissing',
  /** The judge's reply held no score; retried a few times, then recorded as `score: null`. */
  JudgeUnparsable: 'JudgeScoreUnparsable',
  /**
   * Transcripts the dataset needs are not in the output store (another worker's folder, a share that is away):
   * retried; once the retries are spent the campaign fails with `DatasetIncomplete`.
   */
  TranscriptsMissing: 'CampaignTranscriptsMissing',
  /** The campaign's dataset could not be written whole: the campaign ends `failed`, never `completed`. */
  DatasetIncomplete: 'CampaignDatasetIncomplete',
} as const;

/** One expanded item: a conversation to run. The expansion of a spec is deterministic (same spec, same items). */
export interface CampaignItem {
  /** 12 hex digits of a sha256 over the resolved item (seed, pair, grid point, repeat, shared options). */
  itemHash: string;
  /** Position in the expansion order, from 0. */
  index: number;
  seed: { id: string; query: string; metadata?: Record<string, unknown> };
  pairIndex: number;
  /** The grid point applied to this item, e.g. `{"cloud.temperature": 0.2}`; `{}` without a grid. */
  grid: Record<string, string | number>;
  /** From 0 to repeats − 1. */
  repeat: number;
  /**
   * The conversation's input, ready to start: conversationId `campaign-<campaignId>-<itemHash>`, outputFile
   * `campaigns/<campaignId>/conversations/<itemHash>.csv` (its JSONL twin beside it).
   */
  conversation: ConversationInput;
  /**
   * Set by planCampaign when the spec `extends` a campaign that completed an item with this hash: its outcome there,
   * which this campaign records instead of running the item.
   */
  reuse?: ItemOutcome;
}

/** What planCampaign recorded beside the plan (plan.json). */
export interface PlanMeta {
  campaignId: string;
  workflowId: string;
  itemCount: number;
  specHash: string;
  seedsFile?: { name: string; sha256: string };
  parent?: { campaignId: string; reusedItems: number };
  /** The estimate.json made of this spec before it started, and how many of its pilot's items it took over. */
  estimate?: EstimateRecord & { pilotReusedItems?: number };
}

export type ItemState = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/** What became of one item: the workflow records it when the item's conversation ends (or is skipped). */
export interface ItemOutcome {
  itemHash: string;
  conversationId: string;
  /** Set when the item was taken from the campaign the spec `extends` (or one before it): no model was called. */
  reusedFrom?: string;
  state: Exclude<ItemState, 'pending' | 'running'>;
  endReason?: EndReason;
  turns: number;
  usage: { cloud: TokenUsage; local: TokenUsage };
  /** USD from MODEL_PRICES_FILE; models without a price cost 0 and are listed in `unpricedModels`. */
  costUsd: number;
  /**
   * `costUsd` per side, each call at the price of the way it was answered (batch or on demand): what `byModel`
   * sums. Unset in outcomes recorded before it (byModel then prices their tokens on demand).
   */
  costUsdBySide?: { cloud: number; local: number };
  unpricedModels?: string[];
  /** In a batch campaign: the cost had every cloud turn been asked on demand, and the turns answered in a batch. */
  onDemandCostUsd?: number;
  batchTurns?: number;
  startedAt?: string;
  endedAt?: string;
  /** Why the item failed (state `failed`) or was skipped. */
  error?: { type: string; message: string };
  csvPath?: string;
  jsonlPath?: string;
  judge?: JudgeScore;
}

export interface JudgeSpec {
  model: string;
  side: 'cloud' | 'local';
  rubric: string;
}

export interface JudgeScore {
  /** 1..10; null when the judge's replies held no score after JUDGE_SCORE_ATTEMPTS tries (rationale says so). */
  score: number | null;
  rationale: string;
  model: string;
  /** How many replies the judge gave before one held a score (or it gave up). */
  attempts?: number;
}

/**
 * `writing_dataset`: every item has ended and the dataset is being written; `completed` (or `cancelled`) only once
 * it is whole, else `failed` with the reason.
 */
export type CampaignStatus =
  'planning' | 'running' | 'paused' | 'draining' | 'writing_dataset' | 'completed' | 'cancelled' | 'failed';

/** Why a campaign ended `failed`: the failure's type and message (e.g. the transcripts its dataset lacks). */
export interface CampaignFailure {
  type: string;
  message: string;
}

/** Why a campaign stopped starting items before it ran them all. */
export type CampaignStopReason = 'budget_tokens' | 'budget_cost' | 'cancelled';

export interface CampaignCounts {
  pending: number;
  running: number;
  completed: number;
  failed: number;
  skipped: number;
}

export interface CampaignTotals {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  turns: number;
  /** Batch campaigns: what the same turns would have cost on demand, and how many turns a batch job answered. */
  onDemandCostUsd?: number;
  batchTurns?: number;
}

/** Quality flags of one finished conversation, computed from its transcript. */
export interface QualityFlags {
  emptyReplies: number;
  /** Replies that stopped at their token limit (output tokens ≥ the side's maxTokens). */
  truncatedReplies: number;
  /** The highest similarity (0..1) between a reply and an earlier reply of the same conversation. */
  maxRepetition: number;
  /** Replies the novelty guard refused and asked for again, both sides (each an extra model call). */
  resamples: number;
  meanReplyChars: number;
  endReason?: EndReason;
  /** Distinct word unigrams and bigrams over all n-grams of the conversation's replies (0..1; see dataset/diversity.ts). */
  distinct1: number;
  distinct2: number;
  /**
   * Per side, the mean share of a reply's word trigrams already in the side's previous reply (0..1): how much turn
   * k+1 repeats turn k. Null for a side with fewer than two replies.
   */
  turnOverlap: { cloud: number | null; local: number | null };
  /** The collapse rule of dataset/diversity.ts: consecutive replies of one side repeating each other, or ended as repetition. */
  collapsed: boolean;
}

/** One side's diversity over the replies of a dataset or group. */
export interface SideDiversity {
  replies: number;
  /** Distinct word n-grams over all word n-grams of the side's replies, n = 1, 2, 3 (0..1). */
  distinct1: number;
  distinct2: number;
  distinct3: number;
  /** The replies' UTF-8 bytes over their DEFLATE (gzip) size: higher is more repetitive. Null with no text. */
  compressionRatio: number | null;
}

/** Diversity and collapse of a set of conversations (see dataset/diversity.ts for each measure). */
export interface GroupDiversity {
  conversations: number;
  cloud: SideDiversity;
  local: SideDiversity;
  /** Share of the conversations that are near-duplicates of another (`nearDuplicateOf`). */
  nearDuplicateRate: number;
  /**
   * Mean word-trigram Jaccard similarity over every pair of a fixed-size sample of the conversations (their
   * replies); null under two conversations.
   */
  selfSimilarity: number | null;
  collapseRate: number;
}

/** The dataset's diversity: all of it, then per pair, grid cell and seed. */
export interface DatasetDiversity {
  /** Conversations in the self-similarity sample of each group, at most. */
  sampleSize: number;
  dataset: GroupDiversity;
  pairs: (GroupDiversity & { pairIndex: number; cloudModel: string; localModel: string })[];
  gridCells: (GroupDiversity & { grid: Record<string, string | number> })[];
  seeds: (GroupDiversity & { seedId: string })[];
}

/** The spec's `curate` rules, each naming what it drops (see dataset/curate.ts). */
export const CURATE_RULES = [
  'minTurns',
  'maxRepetition',
  'maxConsecutiveOverlap',
  'dropEmpty',
  'dropTruncated',
  'dropNearDuplicates',
  'minJudgeScore',
] as const;
export type CurateRule = (typeof CURATE_RULES)[number];

/** What curation kept: the dataset's `train` split, and the `dropped` one with the rule(s) that dropped each. */
export interface CurationSummary {
  /** Conversations curated: those that said something (less the near-duplicates `dedup: true` leaves out). */
  candidates: number;
  kept: number;
  dropped: number;
  /** Conversations each rule matched (one may match several). */
  byRule: Partial<Record<CurateRule, number>>;
}

/** A side's sampling as the item ran it: the item's options, else the worker's defaults where known. */
export interface SideSampling {
  /** The model endpoint the item names for this side; unset: the side's default. */
  endpoint?: string;
  model?: string;
  temperature?: number;
  maxTokens?: number;
}

/** One item in manifest.json: the plan's item with what became of it. */
export interface ManifestItem {
  itemHash: string;
  index: number;
  conversationId: string;
  seedId: string;
  pairIndex: number;
  grid: Record<string, string | number>;
  repeat: number;
  state: ItemState;
  /** The item's sampling parameters (system prompts are in the spec, picked by pairIndex and grid). */
  sampling?: { cloud: SideSampling; local: SideSampling };
  /** The models as the transcript reports them (e.g. the cloud side's default resolved), once it ran. */
  models?: { cloud: string; local: string };
  /** On an endpoint of several replicas: the side's turns and tokens by the replica that answered them. */
  replicas?: { cloud?: ReplicaUsage; local?: ReplicaUsage };
  outcome?: ItemOutcome;
  quality?: QualityFlags;
  /**
   * Set by the dataset's export when this conversation is a near-duplicate of another (MinHash over word 5-grams,
   * see dataset/near-duplicates.ts): that one's item hash, the first item of their cluster.
   */
  nearDuplicateOf?: string;
  /** Set by the dataset's export under `curate`: the rules that dropped this conversation into the `dropped` split. */
  droppedBy?: CurateRule[];
}

/** Turns and tokens per replica of an endpoint, keyed by the replica's position in its `baseUrls`. */
export type ReplicaUsage = Record<string, { turns: number; inputTokens: number; outputTokens: number }>;

export interface ModelProvenance {
  side: 'cloud' | 'local';
  model: string;
  /** The endpoint that served it, when not the side's default (as in an item's `sampling`). */
  endpoint?: string;
  /** Ollama: the digest and details from /api/tags and /api/show. */
  digest?: string;
  /** Ollama's /api/show details; an OpenAI-compatible server's /v1/models entry (owner, creation time…). */
  details?: Record<string, unknown>;
  /** Bedrock (the Lambda path): the region the Lambda calls Bedrock in, where known. */
  region?: string;
  /** Why the look-up failed (server unreachable, model unknown); each model is looked up once per campaign. */
  lookupError?: string;
}

/** `campaigns/<campaignId>/manifest.json` in the output store, rewritten whole at each checkpoint. */
export interface CampaignManifest {
  formatVersion: 1;
  campaignId: string;
  workflowId: string;
  name?: string;
  status: CampaignStatus;
  stopReason?: CampaignStopReason;
  /** Status `failed`: why. */
  failure?: CampaignFailure;
  spec: unknown;
  counts: CampaignCounts;
  totals: CampaignTotals;
  /**
   * Per side, endpoint and model (`<side>:<model>` on a side's default endpoint, `<side>@<endpoint>:<model>` on
   * another): tokens and cost; `priced: false` when MODEL_PRICES_FILE has no price for the model.
   */
  byModel: Record<
    string,
    {
      side: 'cloud' | 'local';
      endpoint: string;
      model: string;
      inputTokens: number;
      outputTokens: number;
      costUsd: number;
      priced: boolean;
      /**
       * On an endpoint of several replicas: the turns and tokens each answered (by its position in the endpoint's
       * `baseUrls`), part of this row's tokens, not beside them.
       */
      replicas?: ReplicaUsage;
    }
  >;
  provenance: {
    models: ModelProvenance[];
    packageVersion: string;
    gitCommit?: string;
    temporalNamespace: string;
    /** planCampaign's hash of the validated spec (plan.json). */
    specHash?: string;
    seedsFile?: { name: string; sha256: string };
    /** The campaign the spec `extends`, and how many of its completed items this one took over. */
    parent?: { campaignId: string; reusedItems: number };
  };
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
  /** When an estimate was made of the spec before it started: the estimate beside what the campaign spent. */
  estimate?: EstimateComparison;
  /** Written with the dataset: diversity and collapse over every conversation that said something. */
  diversity?: DatasetDiversity;
  /** Written with the dataset when the spec has `curate`. */
  curation?: CurationSummary;
  items: ManifestItem[];
}

/** What `GET /campaigns/:id` and the CLI's progress bar show; the `campaignStatus` query's answer. */
export interface CampaignStatusView {
  campaignId: string;
  workflowId: string;
  name?: string;
  status: CampaignStatus;
  stopReason?: CampaignStopReason;
  /** Status `failed`: why. */
  failure?: CampaignFailure;
  itemCount: number;
  counts: CampaignCounts;
  totals: CampaignTotals;
  /** ISO 8601 UTC. */
  startedAt: string;
  endedAt?: string;
  elapsedMs: number;
  /** From the pace so far; unset until an item has finished. */
  etaMs?: number;
  turnsPerSecond: number;
  /** Set when the budget stopped new starts: what was reached. */
  budget?: { maxTokens?: number; maxCostUsd?: number; reached: boolean };
}

export const campaignStatusQuery = defineQuery<CampaignStatusView>('campaignStatus');
/** Holds new starts; the running conversations are paused too (they finish their current turn and wait). */
export const pauseCampaignSignal = defineSignal('pause');
export const resumeCampaignSignal = defineSignal('resume');
/** Stops new starts and cancels the running conversations, which still export what they said. */
export const cancelCampaignSignal = defineSignal('cancel');
