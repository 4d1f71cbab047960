/** Removes the run's temp folder (see temp-root-setup.mjs), unless KEEP_TEST_TMP=1 keeps it to look into. */
import { rmSync } from 'node:fs';

export default function () {
  const root = process.env.LLM_CONV_TEST_TMP_ROOT;
  if (!root) return;
  if (process.env.KEEP_TEST_TMP === '1') {
    console.log(`test temp files kept in ${root}`);
    return;
  }
  rmSync(root, { recursive: true, force: true });
}
