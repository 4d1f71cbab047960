/**
 * The campaign's dataset activities: the manifest at each checkpoint, the dataset files at the end, and the
 * optional judge of each finished conversation. Built over injected clients like the conversation's activities.
 */
import { loadLambdaConfig } from '../../../lambda/config';
import type { ActivitiesDeps } from '../../conversation/activities';
import type { Config } from '../../shared/config';
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

/**
 * The dataset activities' dependencies in the worker: its clients, OUTPUT_DIR, prices and token defaults. The cloud
 * side is described as the Lambda's variables in this process's environment configure it (the same `.env` as the
 * local gateway's Lambda): with MODEL_PROVIDER=bedrock, BEDROCK_MODEL_ID and AWS_REGION; else its OLLAMA_MODEL and
 * no region. The transcripts' own model names take precedence in the manifest.
 */
export function datasetDepsFromConfig(
  config: Config,
  deps: ActivitiesDeps,
  lambdaEnv: NodeJS.ProcessEnv = process.env,
): DatasetDeps {
  const cloud = loadLambdaConfig(lambdaEnv);
  const bedrock = cloud.MODEL_PROVIDER === 'bedrock';
  return {
    outputDir: config.OUTPUT_DIR,
    ollama: deps.ollama.client,
    llmService: deps.llmService.client,
    temporalNamespace: config.TEMPORAL_NAMESPACE,
    ...(bedrock ? { awsRegion: cloud.AWS_REGION } : {}),
    cloudModelDefault: bedrock ? cloud.BEDROCK_MODEL_ID : cloud.OLLAMA_MODEL,
    localModelDefault: deps.ollama.model,
    maxTokensDefault: { cloud: deps.llmService.maxTokens, local: deps.ollama.maxTokens },
    ...(deps.llmService.prices ? { prices: deps.llmService.prices } : {}),
  };
}
export { DEFAULT_SHARD_ROWS } from '../dataset/shards';
export { JUDGE_SCORE_ATTEMPTS } from '../dataset/judge';
export { DatasetFailureType } from '../dataset/errors';
