import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder with package.json above this file: the same whether it runs from src/ or compiled in dist/src/. */
function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Where setup installs tools and where the stack keeps its state; both git-ignored. */
export const repoRoot = findRepoRoot(__dirname);
export const toolsBin = path.join(repoRoot, '.tools', 'bin');
export const ollamaModelsDir = path.join(repoRoot, '.tools', 'ollama', 'models');
export const dataDir = path.resolve(repoRoot, process.env.STACK_DATA_DIR ?? '.data');
