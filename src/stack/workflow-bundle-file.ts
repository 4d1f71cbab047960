/**
 * Bundles the workflow code once, ahead of the worker (`npm run build:workflows`, and `npm start` before it
 * starts the worker), so the worker process loads a prebuilt file instead of running webpack itself: it starts
 * faster and stays hundreds of MB smaller.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workflowBundling } from '../worker/workflow-bundle';
import { repoRoot } from './paths';

export const DEFAULT_BUNDLE_PATH = path.join(repoRoot, 'dist', 'workflow-bundle.js');

export async function writeWorkflowBundle(file = DEFAULT_BUNDLE_PATH): Promise<string> {
  const { code } = await bundleWorkflowCode({
    ...workflowBundling,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, code);
  return file;
}
