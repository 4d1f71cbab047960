import { existsSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');

/**
 * Path of a tool installed by `npm run setup` into .tools/bin. A missing tool fails the test run:
 * the test command provisions everything, so absence means setup is broken, never a reason to skip.
 */
export function requireTool(name: string): string {
  const file = path.join(repoRoot, '.tools', 'bin', name);
  if (!existsSync(file)) {
    throw new Error(`${name} is not installed at ${file}; run \`npm run setup\` first`);
  }
  return file;
}
