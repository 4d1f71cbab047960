import path from 'node:path';

/** Where setup installs tools and where the stack keeps its state; both git-ignored. */
export const repoRoot = path.resolve(__dirname, '../..');
export const toolsBin = path.join(repoRoot, '.tools', 'bin');
export const ollamaModelsDir = path.join(repoRoot, '.tools', 'ollama', 'models');
export const dataDir = path.resolve(repoRoot, process.env.STACK_DATA_DIR ?? '.data');
