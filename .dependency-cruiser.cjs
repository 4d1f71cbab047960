/**
 * The import graph's rules (`npm run check:imports`, part of `npm test`): no circles, type-only imports included,
 * and no arrow from a lower layer to a higher one. Layers, bottom to top: contracts → shared → models, output →
 * conversation → campaign → the process shells (worker, api, cli) and the local stack's own processes.
 */
const layer = (name, paths) => ({ name, paths });
const LAYERS = [
  layer('contracts', ['^src/contracts/', '^src/generated/']),
  layer('shared', ['^src/shared/']),
  layer('models-output', ['^src/models/', '^src/output/']),
  layer('lambda', ['^lambda/']),
  layer('conversation', ['^src/conversation/']),
  layer('campaign', ['^src/campaign/']),
];
const below = (index) => LAYERS.slice(0, index).flatMap((l) => l.paths);
const above = (index) => LAYERS.slice(index + 1).flatMap((l) => l.paths);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle (type-only imports count): split the shared part into a lower module.',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.map((l, i) => ({
      name: `no-upward-from-${l.name}`,
      severity: 'error',
      comment: `${l.name} may import only from the layers below it (${below(i).join(', ') || 'none'}).`,
      from: { path: l.paths },
      to: {
        path: [
          ...above(i),
          '^src/(worker|api|cli|llm-service|gateway|bedrock-batch|stack)/',
          '^bench/',
          '^scripts/',
        ],
      },
    })),
    {
      name: 'no-shell-imports',
      severity: 'error',
      comment: 'Nothing imports a process shell: the shells assemble the features.',
      from: { pathNot: ['^src/(worker|api|cli|stack)/', '^bench/', '^scripts/', '^test/'] },
      to: { path: '^src/(worker|api|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['^src/generated/llm\\.js$'] },
  },
};
