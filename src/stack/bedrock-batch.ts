/**
 * BEDROCK_BATCH=local: `npm start` runs batch mode's AWS side here: a real S3 API server (moto's server mode, from
 * PyPI, installed by setup into .tools/venv) with the bucket LOCAL_BATCH_BUCKET, then the local Bedrock batch
 * stand-in (src/stack/bedrock-batch-stand-in) reading and writing it. The worker is pointed at both with the AWS SDK's standard
 * variables.
 */
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import type { Config } from '../shared/config';
import { repoRoot } from './paths';
import { httpOk, type ComponentSpec } from './supervisor';

/** The bucket `npm start` creates: campaigns use `s3://llm-batch/in` and `s3://llm-batch/out`. */
export const LOCAL_BATCH_BUCKET = 'llm-batch';
/** moto takes any keys; the SDK only needs some to sign with. */
const LOCAL_KEYS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local-secret' };

function s3Url(config: Config): string {
  return `http://127.0.0.1:${config.BEDROCK_BATCH_S3_PORT}`;
}

/** What the worker and the stand-in need to reach the local S3 server and the stand-in. */
export function localBatchEnv(config: Config, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL_S3: s3Url(config),
    AWS_ENDPOINT_URL_BEDROCK: `http://127.0.0.1:${config.BEDROCK_BATCH_PORT}`,
    BEDROCK_BATCH_PORT: String(config.BEDROCK_BATCH_PORT),
    ...(env.AWS_ACCESS_KEY_ID ? {} : LOCAL_KEYS),
  };
}

export function localS3Spec(config: Config): ComponentSpec {
  return {
    name: 's3',
    command: path.join(repoRoot, '.tools', 'venv', 'bin', 'moto_server'),
    args: ['-H', '127.0.0.1', '-p', String(config.BEDROCK_BATCH_S3_PORT)],
    env: { PYTHONUNBUFFERED: '1' },
    // Ready once it answers and holds the bucket.
    ready: async () => {
      if (!(await httpOk(`${s3Url(config)}/moto-api/`).catch(() => false))) return false;
      const s3 = new S3Client({
        region: 'us-east-1',
        endpoint: s3Url(config),
        forcePathStyle: true,
        credentials: {
          accessKeyId: LOCAL_KEYS.AWS_ACCESS_KEY_ID,
          secretAccessKey: LOCAL_KEYS.AWS_SECRET_ACCESS_KEY,
        },
      });
      try {
        await s3.send(new CreateBucketCommand({ Bucket: LOCAL_BATCH_BUCKET }));
      } catch (err) {
        if (!(err instanceof BucketAlreadyOwnedByYou)) throw err;
      } finally {
        s3.destroy();
      }
      return true;
    },
    readyTimeoutMs: 60_000,
  };
}

export function bedrockBatchStandInReady(config: Config): () => Promise<boolean> {
  return () => httpOk(`http://127.0.0.1:${config.BEDROCK_BATCH_PORT}/_local/health`);
}
