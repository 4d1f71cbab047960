import { readFileSync } from 'node:fs';
import path from 'node:path';
import { componentSpecs, stackChains } from '../../src/stack/components';
import { loadConfig } from '../../src/shared/config';

const names = (chains: { name: string }[][]) => chains.map((chain) => chain.map((spec) => spec.name));

function chainsFor(env: Record<string, string>, component: 'temporal' | 'worker') {
  const config = loadConfig(env);
  return stackChains(config, componentSpecs(config, '/tmp/stack-data'), component);
}

test('the temporal component is the dev server by default', () => {
  const [[temporal, ...rest] = []] = chainsFor({}, 'temporal');
  expect(rest).toEqual([]);
  expect(temporal!.args.slice(0, 2)).toEqual(['server', 'start-dev']);
});

test('on postgres it is PostgreSQL, then the Temporal server on it, then the UI server, on the configured ports', () => {
  const chains = chainsFor(
    { TEMPORAL_BACKEND: 'postgres', POSTGRES_PORT: '25433', TEMPORAL_INTERNAL_PORT_BASE: '27400' },
    'temporal',
  );
  expect(names(chains)).toEqual([['postgres', 'temporal', 'temporal-ui']]);
  const [postgres, server, ui] = chains[0]!;
  expect(postgres!.args).toEqual(expect.arrayContaining(['-p', '25433', '-c', 'listen_addresses=127.0.0.1']));
  expect(postgres!.stopSignal).toBe('SIGINT');
  expect(server!.command).toMatch(/temporal-server$/);
  expect(server!.env).toMatchObject({
    STACK_POSTGRES_PORT: '25433',
    STACK_TEMPORAL_FRONTEND_HOST: '127.0.0.1',
    STACK_TEMPORAL_FRONTEND_PORT: '7233',
    STACK_TEMPORAL_HISTORY_PORT: '27400',
    STACK_TEMPORAL_METRICS_PORT: '27407',
  });
  expect(ui!.env).toMatchObject({ STACK_TEMPORAL_ADDRESS: '127.0.0.1:7233', STACK_TEMPORAL_UI_PORT: '8233' });
});

test('WORKER_COUNT workers start side by side, each with its own metrics port', () => {
  const chains = chainsFor({ WORKER_COUNT: '3', WORKER_METRICS_ADDRESS: '127.0.0.1:9464' }, 'worker');
  expect(names(chains)).toEqual([['worker'], ['worker-2'], ['worker-3']]);
  expect(chains.map(([w]) => w!.env?.WORKER_METRICS_ADDRESS ?? '127.0.0.1:9464')).toEqual([
    '127.0.0.1:9464',
    '127.0.0.1:9465',
    '127.0.0.1:9466',
  ]);
  // One workflow bundle for all of them.
  expect(new Set(chains.map(([w]) => w!.prepare)).size).toBe(1);
});

test.each([
  ['TEMPORAL_BACKEND', 'sqlite'],
  ['WORKER_COUNT', '0'],
  ['WORKER_COUNT', '9'],
  ['POSTGRES_PORT', '70000'],
  // Its 8 ports would reach 32768, past the smallint Temporal stores membership ports in.
  ['TEMPORAL_INTERNAL_PORT_BASE', '32761'],
])('%s=%s is refused with a message naming it', (name, value) => {
  expect(() => loadConfig({ [name]: value })).toThrow(name);
});

test('workers start with the main heap limit WORKER_MAIN_HEAP_MB names, and none with 0', () => {
  const heapFlags = (env: Record<string, string>) =>
    chainsFor({ WORKER_COUNT: '2', ...env }, 'worker').map(([w]) =>
      w!.args.filter((a) => a.startsWith('--max-old-space-size')),
    );
  expect(heapFlags({})).toEqual([['--max-old-space-size=512'], ['--max-old-space-size=512']]);
  expect(heapFlags({ WORKER_MAIN_HEAP_MB: '2048' })[1]).toEqual(['--max-old-space-size=2048']);
  expect(heapFlags({ WORKER_MAIN_HEAP_MB: '0' })).toEqual([[], []]);
});

test('a worker started alone (npm run start:worker, Docker Compose) gets the same default heap limit', () => {
  const flag = `--max-old-space-size=${loadConfig({}).WORKER_MAIN_HEAP_MB}`;
  const root = path.resolve(__dirname, '../..');
  const scripts = (
    JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  expect(scripts['start:worker']).toContain(` node ${flag} dist/src/worker/worker.js`);
  expect(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')).toContain(
    `command: ['node', '${flag}', 'dist/src/worker/worker.js']`,
  );
});

test("the stack's Ollama serves OLLAMA_NUM_PARALLEL calls at once, keeps its model loaded and its slots' prefixes warm", () => {
  const ollama = (env: Record<string, string>) =>
    componentSpecs(loadConfig(env), '/tmp/stack-data').ollama.env;
  expect(ollama({})).toMatchObject({
    OLLAMA_NUM_PARALLEL: '8',
    OLLAMA_KEEP_ALIVE: '-1',
    OLLAMA_MULTIUSER_CACHE: '1',
  });
  expect(
    ollama({ OLLAMA_NUM_PARALLEL: '4', OLLAMA_KEEP_ALIVE: '30m', OLLAMA_MULTIUSER_CACHE: '0' }),
  ).toMatchObject({
    OLLAMA_NUM_PARALLEL: '4',
    OLLAMA_KEEP_ALIVE: '30m',
    OLLAMA_MULTIUSER_CACHE: '0',
  });
  expect(() => loadConfig({ OLLAMA_KEEP_ALIVE: 'forever' })).toThrow(/OLLAMA_KEEP_ALIVE/);
  expect(() => loadConfig({ OLLAMA_MULTIUSER_CACHE: 'yes' })).toThrow(/OLLAMA_MULTIUSER_CACHE/);
  expect(() => loadConfig({ OLLAMA_NUM_PARALLEL: '0' })).toThrow(/OLLAMA_NUM_PARALLEL/);
});
