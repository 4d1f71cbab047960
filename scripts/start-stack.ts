/**
 * `npm start`: the whole local stack in one command: Temporal (TEMPORAL_BACKEND: the dev server with SQLite in
 * .data/, or a Temporal server on PostgreSQL in .data/postgres; Web UI either way), Ollama (unless one answers
 * already), the local API Gateway with the Lambda handler, the LLM REST service, WORKER_COUNT workers and the
 * Conversation API; with TRACING=jaeger also Jaeger, which every service sends its spans to. Ctrl-C stops everything
 * it started. `npm start` while a stack runs on the same data folder upgrades that stack's workers to the code as it
 * is now (src/stack/upgrade.ts).
 * `tsx scripts/start-stack.ts temporal` (npm run start:temporal) starts only the named components.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/shared/config';
import { componentSpecs, stackChains, temporalAddress, type StackComponent } from '../src/stack/components';
import { jaegerQueryUrl } from '../src/stack/jaeger';
import { LOCAL_BATCH_BUCKET, localBatchEnv } from '../src/stack/bedrock-batch';
import { closeTaskQueueProbe } from '../src/stack/task-queue';
import { dataDir } from '../src/stack/paths';
import { ComponentFailedError, httpOk, Supervisor, tcpOpen } from '../src/stack/supervisor';
import { prepareBuild, stackBuildId } from '../src/stack/builds';
import {
  removeStackState,
  requestUpgrade,
  runningStack,
  StackBuilds,
  writeStackState,
} from '../src/stack/upgrade';

const ORDER: StackComponent[] = [
  'temporal',
  'ollama',
  'jaeger',
  'bedrock-batch',
  'gateway',
  'llm-service',
  'worker',
  'api',
];
type Infra = 'temporal' | 'ollama' | 'jaeger';
const INFRA: StackComponent[] = ['temporal', 'ollama', 'jaeger'];

async function alreadyServing(name: Infra, config: ReturnType<typeof loadConfig>): Promise<boolean> {
  if (name === 'temporal') {
    const { host, port } = temporalAddress(config);
    return tcpOpen(host, port);
  }
  if (name === 'jaeger') return httpOk(`${jaegerQueryUrl(config)}/api/services`).catch(() => false);
  return httpOk(`${config.OLLAMA_HOST}/api/version`).catch(() => false);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const wanted = process.argv.slice(2) as StackComponent[];
  const unknown = wanted.filter((n) => !ORDER.includes(n));
  if (unknown.length > 0)
    throw new Error(`unknown component(s): ${unknown.join(', ')}; known: ${ORDER.join(', ')}`);
  // Jaeger only with TRACING=jaeger, batch mode's S3 server and Bedrock stand-in only with BEDROCK_BATCH=local (or
  // when named).
  const all = ORDER.filter(
    (n) =>
      (n !== 'jaeger' || config.TRACING === 'jaeger') &&
      (n !== 'bedrock-batch' || config.BEDROCK_BATCH === 'local'),
  );
  const names = wanted.length > 0 ? ORDER.filter((n) => wanted.includes(n)) : all;
  const buildId = stackBuildId(config);

  const running = runningStack(dataDir);
  if (running !== undefined && wanted.length === 0) {
    await prepareBuild(buildId);
    requestUpgrade(dataDir, running, buildId);
    console.log(
      `[stack] a stack runs on ${dataDir} (process ${running}): asked it to upgrade its workers to build ${buildId}; its terminal shows how it goes`,
    );
    return;
  }

  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  let shuttingDown = false;
  const supervisor = new Supervisor(logDir, (error) => void shutdown(1, error));
  const specs = componentSpecs(config, dataDir, buildId);
  const builds = new StackBuilds(supervisor, config, dataDir, buildId, (m) => console.log(`[stack] ${m}`));

  async function shutdown(code: number, error?: Error): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    if (error) console.error(`\n[stack] ${error.message}`);
    console.log('[stack] stopping…');
    await supervisor.stopAll();
    removeStackState(dataDir);
    await closeTaskQueueProbe();
    console.log('[stack] stopped');
    process.exit(code);
  }
  // An upgrade request (see runningStack above); SIGHUP's default would end the stack.
  let started = false;
  process.on('SIGHUP', () => {
    const requested = builds.requested();
    if (!requested) return;
    if (started) void builds.upgrade(requested);
    else
      console.log(`[stack] still starting: run npm start again once it is ready to upgrade to ${requested}`);
  });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const infra = names.filter((n): n is Infra => INFRA.includes(n));
  const services = names.filter((n) => !INFRA.includes(n));
  try {
    // Infrastructure first (in parallel), then our services, which need it.
    const missing: StackComponent[] = [];
    for (const name of infra) {
      if (await alreadyServing(name, config)) console.log(`[stack] ${name}: already running, using it`);
      else missing.push(name);
    }
    for (const group of [missing, services]) {
      const chains = group.flatMap((name) => stackChains(config, specs, name));
      if (chains.length === 0) continue;
      console.log(
        `[stack] starting ${chains.map((chain) => chain.map((s) => s.name).join(' → ')).join(', ')}`,
      );
      await supervisor.startChains(chains);
    }
    if (names.includes('worker')) await builds.resumeDraining();
  } catch (error) {
    await shutdown(1, error instanceof Error ? error : new Error(String(error)));
    return;
  }
  await closeTaskQueueProbe();
  writeStackState(dataDir, supervisor);
  started = true;
  printReady(config, logDir, names, buildId);
}

function printReady(
  config: ReturnType<typeof loadConfig>,
  logDir: string,
  names: StackComponent[],
  buildId: string,
): void {
  const api = `http://127.0.0.1:${config.CONVERSATION_API_PORT}`;
  // The key itself stays out of the terminal; the shell fills it in.
  const auth = config.CONVERSATION_API_KEY ? ' -H "Authorization: Bearer $CONVERSATION_API_KEY"' : '';
  console.log(`
[stack] ready (${names.join(', ')}); logs in ${logDir}; Ctrl-C stops everything.

  Conversation API   ${api}   (health ${api}/health)
  LLM REST service   http://127.0.0.1:${config.LLM_SERVICE_PORT}/api/v1/generate
  API Gateway        http://127.0.0.1:${config.GATEWAY_PORT}/generate
  Temporal           ${config.TEMPORAL_ADDRESS}   Web UI ${config.TEMPORAL_UI_URL}   (${backend(config)})
  Ollama             ${config.OLLAMA_HOST}   model ${config.OLLAMA_MODEL}
  Workers            ${config.WORKER_COUNT} on task queue ${config.TEMPORAL_TASK_QUEUE}, build ${buildId} of ${config.WORKER_DEPLOYMENT_NAME} (npm start again upgrades them)
  Worker metrics     ${config.WORKER_METRICS_ADDRESS ? `http://${config.WORKER_METRICS_ADDRESS}/metrics` : 'off'}   conversations ${config.CONVERSATION_METRICS_ADDRESS ? `http://${config.CONVERSATION_METRICS_ADDRESS}/metrics` : 'off'}
  Batch mode         ${names.includes('bedrock-batch') ? `Bedrock stand-in ${localBatchEnv(config).AWS_ENDPOINT_URL_BEDROCK}, S3 ${localBatchEnv(config).AWS_ENDPOINT_URL_S3} (bucket ${LOCAL_BATCH_BUCKET})` : 'off (BEDROCK_BATCH=local to run it here)'}
  Traces             ${names.includes('jaeger') ? `Jaeger ${jaegerQueryUrl(config)} (query API /api/traces)` : 'off (TRACING=jaeger to run Jaeger)'}
  Output folder      ${path.resolve(config.OUTPUT_DIR)}

Try:
  curl -X POST ${api}/conversation -H "Content-Type: application/json"${auth} -d '{"initialQuery": "Tell me about machine learning", "outputFile": "conversation.csv"}'
`);
}

function backend(config: ReturnType<typeof loadConfig>): string {
  if (config.TEMPORAL_BACKEND === 'dev') return 'dev server, SQLite';
  return `Temporal server on PostgreSQL 127.0.0.1:${config.POSTGRES_PORT}`;
}

main().catch((error: unknown) => {
  console.error(
    `[stack] ${error instanceof ComponentFailedError || error instanceof Error ? error.message : error}`,
  );
  process.exit(1);
});
