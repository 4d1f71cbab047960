/**
 * The campaign's dataset activities: the manifest at each checkpoint, the dataset files at the end, and the
 * optional judge of each finished conversation. Built over injected clients like the conversation's activities.
 */
import { makeCheckpointCampaign } from '../dataset/checkpoint';
import { makeWriteCampaignDataset } from '../dataset/export';
import { makeJudgeConversation } from '../dataset/judge';
import type { DatasetDeps } from '../dataset/types';

export type {
  CheckpointInput,
  CheckpointOutput,
  DatasetDeps,
  JudgeInput,
  PriceTable,
  WriteDatasetInput,
  WriteDatasetOutput,
} from '../dataset/types';

export function makeDatasetActivities(deps: DatasetDeps) {
  return {
    checkpointCampaign: makeCheckpointCampaign(deps),
    writeCampaignDataset: makeWriteCampaignDataset(deps),
    judgeConversation: makeJudgeConversation(deps),
  };
}

export type DatasetActivities = ReturnType<typeof makeDatasetActivities>;

export { DEFAULT_SHARD_ROWS } from '../dataset/shards';
export { JUDGE_SCORE_ATTEMPTS } from '../dataset/judge';
