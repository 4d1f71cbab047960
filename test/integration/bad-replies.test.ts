/**
 * One rule on every model path for a server that answers `200` with a body that is not its API's reply (a proxy's
 * error page): the call is retried by Temporal, so a passing fault costs one retry; the same reply on attempt
 * BAD_REPLY_MAX_ATTEMPTS ends the conversation with a failure that says so. And no model server's URL reaches an
 * API answer or a file a user gets.
 *
 * The worker's real clients, built from its configuration as the worker builds them (activitiesDepsFromConfig),
 * call fake servers on real sockets: the Lambda path (REST service → gateway → the Lambda's `openai` provider),
 * named `openai` endpoints for either side, and the default Ollama. Conversations start through the real API.
 */
import { Logger as LambdaLogger } from '@aws-lambda-powertools/logger';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { loadLambdaConfig } from '../../src/models/lambda-config';
import { createProvider } from '../../lambda/providers';
import { createApp } from '../../src/api/app';
import { BAD_REPLY_MAX_ATTEMPTS } from '../../src/contracts/limits';
import { parseModelEndpoints } from '../../src/models/endpoints';
import { LocalStore } from '../../src/output/local-store';
import { loadConfig } from '../../src/shared/config';
import { activitiesDepsFromConfig } from '../../src/worker/dependencies';
import { createWorker } from '../../src/worker/worker';
import { workflowBundling } from '../../src/worker/workflow-bundle';
import { startCloudStack } from '../fixtures/cloud-stack';
import type { CloudStack } from '../fixtures/cloud-stack';
import { FakeOllama } from '../fixtures/ollama-server';
import { FakeOpenAiServer } from '../fixtures/openai-server';
import { registerConversationSearchAttributes } from '../helpers/search-attributes';
import { requireTool } from '../helpers/tools';

jest.setTimeout(180_000);

/** A proxy's error page, quoting an address of the operator's network, which must not reach a user either. */
const PROXY_PAGE = '<html><body>502 Bad Gateway: upstream http://10.0.0.7:8000/v1 reset</body></html>';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;
let outputDir: string;
let cloudStack: CloudStack;
let worker: Worker;
let running: Promise<void>;
let app: ReturnType<typeof createApp>;
/**
 * Fails this many model calls of each server with the proxy page, from each test's start. A server that always
 * answers so is BAD_REPLY_MAX_ATTEMPTS of them: a call beyond would be answered, and the item would not end.
 */
const garble = { lambda: 0, fleet: 0, box: 0, ollama: 0 };
const lambdaServer = new FakeOpenAiServer();
const fleet = new FakeOpenAiServer();
const box = new FakeOpenAiServer();
const calls = { ollama: 0 };
const ollama = new FakeOllama({
  template: '{{ .Messages }}',
  reply: (_last, call) => `Question ${call}?`,
  garbled: () => (calls.ollama++ < garble.ollama ? PROXY_PAGE : undefined),
});
/** Every address a fake or one of our services listens on: none may show in an answer or a file. */
let addresses: string[];

function garbling(server: FakeOpenAiServer, side: keyof typeof garble): void {
  server.next(...Array.from({ length: garble[side] }, () => ({ kind: 'raw', body: PROXY_PAGE }) as const));
}

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  outputDir = await mkdtemp(path.join(tmpdir(), 'bad-replies-'));
  const [lambdaUrl, fleetUrl, boxUrl, ollamaUrl] = await Promise.all([
    lambdaServer.start(),
    fleet.start(),
    box.start(),
    ollama.start(),
  ]);
  cloudStack = await startCloudStack({
    provider: createProvider(
      loadLambdaConfig({
        MODEL_PROVIDER: 'openai',
        OPENAI_BASE_URL: lambdaUrl,
        OPENAI_MODEL: 'lambda-model',
      }),
    ),
    lambdaLogger: new LambdaLogger({ logLevel: 'SILENT' }),
  });
  [env, workflowBundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireTool('temporal-test-server') } },
    }),
    bundleWorkflowCode({ ...workflowBundling, logger: new DefaultLogger('WARN') }),
  ]);
  await registerConversationSearchAttributes(env.connection, env.namespace ?? 'default');

  const taskQueue = `bad-replies-${randomUUID()}`;
  const config = loadConfig({
    LLM_SERVICE_URL: cloudStack.serviceUrl,
    OLLAMA_HOST: ollamaUrl,
    OLLAMA_MODEL: 'fake-local',
    OUTPUT_DIR: outputDir,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CONVERSATION_MAX_RUNNING: '0',
    CLOUD_MAX_CONCURRENT_CALLS: '0',
    CLOUD_MAX_CALLS_PER_SECOND: '0',
    LOCAL_MAX_CONCURRENT_CALLS: '0',
    LOCAL_MAX_CALLS_PER_SECOND: '0',
  });
  const uncapped = { maxConcurrentCalls: 0, maxCallsPerSecond: 0 };
  const endpoints = parseModelEndpoints(
    JSON.stringify({
      endpoints: [
        { name: 'fleet', kind: 'openai', baseUrl: fleetUrl, model: 'fleet-model', caps: uncapped },
        { name: 'box', kind: 'openai', baseUrl: boxUrl, model: 'box-model', caps: uncapped },
      ],
    }),
    'endpoints.json',
    config,
  );
  const deps = activitiesDepsFromConfig(config, {}, endpoints);
  worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: { ...deps, output: { store: new LocalStore(outputDir) } },
  });
  running = worker.run();
  app = createApp({
    client: env.client,
    config,
    logger: pino({ level: 'silent' }),
    store: new LocalStore(outputDir),
    endpoints,
  });
  addresses = [lambdaUrl, fleetUrl, boxUrl, ollamaUrl, cloudStack.serviceUrl, cloudStack.gatewayUrl]
    .map((url) => new URL(url).host)
    .concat('10.0.0.7');
}, 300_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await cloudStack?.close();
  await Promise.all([lambdaServer.stop(), fleet.stop(), box.stop(), ollama.stop()]);
  await rm(outputDir, { recursive: true, force: true });
});

beforeEach(() => {
  Object.assign(garble, { lambda: 0, fleet: 0, box: 0, ollama: 0 });
  calls.ollama = 0;
});

interface Path {
  side: 'cloud' | 'local';
  /** The conversation options that choose this path. */
  options: Record<string, unknown>;
  server: keyof typeof garble;
  /** Model calls this path's server has received so far. */
  received: () => number;
}

const PATHS: Record<string, Path> = {
  'the Lambda path (MODEL_PROVIDER=openai)': {
    side: 'cloud',
    options: { local: { endpoint: 'box' } },
    server: 'lambda',
    received: () => lambdaServer.received.length,
  },
  'a cloud openai endpoint': {
    side: 'cloud',
    options: { cloud: { endpoint: 'fleet' }, local: { endpoint: 'box' } },
    server: 'fleet',
    received: () => fleet.received.length,
  },
  'a local openai endpoint': {
    side: 'local',
    options: { cloud: { endpoint: 'fleet' }, local: { endpoint: 'box' } },
    server: 'box',
    received: () => box.received.length,
  },
  'the default Ollama': {
    side: 'local',
    options: { cloud: { endpoint: 'fleet' } },
    server: 'ollama',
    received: () => ollama.calls,
  },
};

/** Starts a one-turn conversation through `POST /conversation?wait=true` and answers its body. */
async function converse(p: Path): Promise<{ body: Record<string, unknown>; text: string; id: string }> {
  garbling(lambdaServer, 'lambda');
  garbling(fleet, 'fleet');
  garbling(box, 'box');
  const id = `bad-replies-${randomUUID()}`;
  const res = await request(app)
    .post('/conversation?wait=true')
    .send({
      initialQuery: 'Is anyone there?',
      maxTurns: 1,
      novelty: false,
      conversationId: id,
      ...p.options,
    });
  return { body: res.body as Record<string, unknown>, text: res.text, id };
}

describe.each(Object.entries(PATHS))('%s', (_name, p) => {
  it('a passing bad reply costs one retry, and the turn is answered', async () => {
    garble[p.server] = 1;
    const before = p.received();
    const { body } = await converse(p);
    expect(body).toMatchObject({ endReason: 'max_turns', turns: 1 });
    expect(p.received() - before).toBe(2);
  });

  it(`a server that always answers so ends the item after ${BAD_REPLY_MAX_ATTEMPTS} attempts, saying why, naming no address`, async () => {
    garble[p.server] = BAD_REPLY_MAX_ATTEMPTS;
    const before = p.received();
    const { body, text, id } = await converse(p);

    expect(body).toMatchObject({
      endReason: 'error',
      turns: 0,
      error: {
        type: p.side === 'cloud' ? 'CloudRequestRejected' : 'LocalRequestRejected',
        message: expect.stringMatching(
          new RegExp(`^BAD_UPSTREAM_RESPONSE: .*the same on ${BAD_REPLY_MAX_ATTEMPTS} attempts`),
        ),
      },
    });
    expect(p.received() - before).toBe(BAD_REPLY_MAX_ATTEMPTS);

    const status = await request(app).get(`/conversation/${id}`).expect(200);
    const files = await readdir(outputDir, { recursive: true, withFileTypes: true });
    const contents = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(path.join(f.parentPath, f.name), 'utf8')),
    );
    for (const shown of [text, status.text, ...contents]) {
      for (const address of addresses) expect(shown).not.toContain(address);
    }
  });
});
