/** The output store the configuration names: OUTPUT_URL's bucket when it is set, else the folder OUTPUT_DIR. */
import { parseOutputUrl } from '../contracts/output-url';
import { LocalStore } from './local-store';
import { S3Store, s3ClientFromEnv } from './s3-store';
import type { OutputStore } from './store';

export interface OutputStoreConfig {
  OUTPUT_DIR: string;
  OUTPUT_URL?: string;
  OUTPUT_S3_FORCE_PATH_STYLE?: boolean;
}

export function openOutputStore(
  config: OutputStoreConfig,
  env: NodeJS.ProcessEnv = process.env,
): OutputStore {
  if (config.OUTPUT_URL === undefined) return new LocalStore(config.OUTPUT_DIR);
  const client = s3ClientFromEnv(env, {
    ...(config.OUTPUT_S3_FORCE_PATH_STYLE === undefined
      ? {}
      : { forcePathStyle: config.OUTPUT_S3_FORCE_PATH_STYLE }),
  });
  return new S3Store({ client, ...parseOutputUrl(config.OUTPUT_URL) });
}
