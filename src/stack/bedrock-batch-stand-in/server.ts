import { loadLambdaConfig } from '../../models/lambda-config';
import { createProvider } from '../../../lambda/providers';
import { s3ClientFromEnv } from '../../output/s3-store';
import { createLogger } from '../../shared/logger';
import { serve } from '../../shared/server';
import { createBedrockBatchApp } from './app';
import { loadBedrockBatchConfig } from './config';
import { FaultQueue } from './faults';
import { BatchJobs } from './jobs';

/** The account in the job ARNs the stand-in hands out (the one moto uses too). */
const LOCAL_ACCOUNT_ID = '123456789012';

async function main(): Promise<void> {
  const config = loadBedrockBatchConfig();
  const lambdaConfig = loadLambdaConfig();
  const logger = createLogger('bedrock-batch', config.LOG_LEVEL);
  const faults = new FaultQueue();
  if (config.BEDROCK_BATCH_FAULTS) faults.add(config.BEDROCK_BATCH_FAULTS);
  const jobs = new BatchJobs({
    // S3 as the rest of the stack reaches it: AWS_ENDPOINT_URL_S3 (path-style then), AWS_REGION, the SDK's keys.
    s3: s3ClientFromEnv(process.env),
    provider: createProvider(lambdaConfig),
    // Like the local Lambda: with Ollama every job is answered by OLLAMA_MODEL, whatever Bedrock model it names.
    modelFor: lambdaConfig.MODEL_PROVIDER === 'bedrock' ? (modelId) => modelId : () => undefined,
    region: config.AWS_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    delayMs: config.BEDROCK_BATCH_JOB_DELAY_MS,
    concurrency: config.BEDROCK_BATCH_CONCURRENCY,
    minRecords: config.BEDROCK_BATCH_MIN_RECORDS,
    faults,
    logger,
  });
  await serve(createBedrockBatchApp({ jobs, faults, logger }), {
    host: config.HTTP_HOST,
    port: config.BEDROCK_BATCH_PORT,
    logger,
    beforeExit: () => jobs.close(),
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
