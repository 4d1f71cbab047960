/**
 * A test run's temp folders (stacks' data and outputs, Chromium profiles, scratch files) all go under one folder,
 * which the teardown removes: without it each run left about a gigabyte in the system's temp folder.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function () {
  const root = mkdtempSync(path.join(os.tmpdir(), 'llm-conv-test-'));
  // PostgreSQL, which runs as its own user when we are root, must pass through it to its data folder.
  chmodSync(root, 0o711);
  // Read by os.tmpdir() in the test workers (forked after this) and in every process a test starts.
  process.env.TMPDIR = root;
  process.env.LLM_CONV_TEST_TMP_ROOT = root;
}
