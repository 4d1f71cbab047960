/**
 * The import graph's rules (`npm run check:imports`, part of `npm test`): no circles, type-only imports included,
 * and no arrow from a lower layer to a higher one. Layers, bottom to top: contracts → shared → models, output →
 * conversation → campaign → the process shells (worker, api, cli) and the local stack's own processes.
 * `lambda/` is a leaf beside them: it imports from contracts, shared, models and output, and only the local
 * processes that host its code (the gateway runs the handler, the Bedrock batch stand-in answers through its model
 * providers) import it.
 */
const layer = (name, paths) => ({ name, paths });
const LAYERS = [
  layer('contracts', ['^src/contracts/', '^src/generated/']),
  layer('shared', ['^src/shared/']),
  layer('models-output', ['^src/models/', '^src/output/']),
  layer('conversation', ['^src/conversation/']),
  layer('campaign', ['^src/campaign/']),
];
const SHELLS = '^src/(worker|api|cli|llm-service|gateway|stack)/';
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
        path: [...above(i), SHELLS, '^bench/', '^scripts/'],
      },
    })),
    {
      name: 'no-upward-from-lambda',
      severity: 'error',
      comment: 'lambda/ may import only from contracts, shared, models and output.',
      from: { path: '^lambda/' },
      to: { path: ['^src/(conversation|campaign)/', SHELLS, '^bench/', '^scripts/'] },
    },
    {
      name: 'lambda-is-a-leaf',
      severity: 'error',
      comment:
        'Only the local processes that host the Lambda code (gateway, Bedrock batch stand-in) import lambda/; ' +
        'what the worker or the estimate needs of it belongs in src/models/.',
      from: {
        pathNot: ['^lambda/', '^src/gateway/', '^src/stack/bedrock-batch-stand-in/', '^test/', '^bench/'],
      },
      to: { path: '^lambda/' },
    },
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
