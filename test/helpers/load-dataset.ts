/**
 * A dataset folder loaded as a user loads it: every config and split of its card through the `datasets` library
 * (from scripts/tools-requirements.txt, in .tools/venv), offline, its cache in a temp folder. A missing install
 * fails the test run, never skips it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { columnNames, CONVERSATIONS_TABLE } from '../../src/campaign/dataset/parquet';
import { repoRoot } from './tools';

const PYTHON = path.join(repoRoot, '.tools', 'venv', 'bin', 'python');
const SCRIPT = path.join(repoRoot, 'test', 'fixtures', 'load-dataset.py');

export interface LoadedSplit {
  rows: number;
  columns: string[];
  first: Record<string, unknown> | null;
}

/** Config → split → what `datasets.load_dataset(folder, config, split=split)` gave. */
export async function loadDataset(folder: string): Promise<Record<string, Record<string, LoadedSplit>>> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing; run \`npm run setup\` first`);
  const home = await mkdtemp(path.join(tmpdir(), 'hf-home-'));
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, folder], {
    env: { ...process.env, HF_DATASETS_OFFLINE: '1', HF_HUB_OFFLINE: '1', HF_HOME: home },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  return JSON.parse(stdout) as Record<string, Record<string, LoadedSplit>>;
}

/** The columns each config has: the default config's are every column of conversations.parquet. */
export const CONFIG_COLUMNS: Record<string, string[]> = {
  default: columnNames(CONVERSATIONS_TABLE),
  messages: ['id', 'messages'],
  sharegpt: ['id', 'system', 'conversations'],
  cloud_perspective: ['messages'],
  local_perspective: ['messages'],
};
