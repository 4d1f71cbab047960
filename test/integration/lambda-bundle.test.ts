/**
 * The Lambda bundle as `npm run build:lambda` builds it, run the way the Lambda runtime runs it (a new `node`
 * process requires index.js and invokes `handler`): a Bedrock function with the environment's credentials loads
 * index.js alone, a profile's credentials load the credential provider split out beside it, and the other
 * providers, required only when named, still answer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildLambda } from '../../lambda/build';
import { llm } from '../../src/generated/llm';
import { protobufBody, restEvent, userRequest } from '../fixtures/apigw-events';
import { FakeBedrock } from '../fixtures/bedrock-server';
import { FakeOllama } from '../fixtures/ollama-server';

jest.setTimeout(120_000);

/** Requires the bundle, invokes it once, prints the status, the answer and every file `require` loaded. */
const RUNNER = `
const mod = require(process.env.BUNDLE);
Promise.resolve(mod.handler(JSON.parse(process.env.EVENT), { awsRequestId: 'bundle-test' })).then((result) => {
  process.stdout.write('\\n' + JSON.stringify({ result, loaded: Object.keys(require.cache) }) + '\\n');
});
`;

interface Invocation {
  result: { statusCode: number; body: string };
  loaded: string[];
}

let dir: string;
let bundle: string;
const bedrock = new FakeBedrock();
let bedrockUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lambda-bundle-'));
  await buildLambda(path.join(dir, 'lambda'));
  bundle = path.join(dir, 'lambda', 'index.js');
  bedrockUrl = await bedrock.start();
});

afterAll(async () => {
  await bedrock.stop();
  await rm(dir, { recursive: true, force: true });
});

async function invoke(env: Record<string, string>): Promise<Invocation> {
  const event = JSON.stringify(restEvent(protobufBody(userRequest('What is a bundle?'))));
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', RUNNER], {
    // Nothing of this machine's AWS set-up: only what each case gives.
    env: { PATH: process.env.PATH ?? '', HOME: dir, BUNDLE: bundle, EVENT: event, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Invocation;
}

function answerText(invocation: Invocation): string {
  expect(invocation.result.statusCode).toBe(200);
  return llm.v1.GenerateResponse.decode(Buffer.from(invocation.result.body, 'base64')).text;
}

const bedrockEnv = () => ({
  MODEL_PROVIDER: 'bedrock',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrockUrl,
});

test('a Bedrock function with the credentials Lambda puts in its environment loads index.js and nothing beside it', async () => {
  const invocation = await invoke({
    ...bedrockEnv(),
    AWS_ACCESS_KEY_ID: 'AKIDFROMENVIRONMENT',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
  expect(answerText(invocation)).toBe('echo: What is a bundle?');
  expect(bedrock.calls.at(-1)!.headers.authorization).toContain('Credential=AKIDFROMENVIRONMENT/');
  expect(invocation.loaded).toEqual([bundle]);
  // The split-out packages are what kept it small: the whole chain made it about 500 KB.
  expect((await stat(bundle)).size).toBeLessThan(400_000);
});

test("a profile's credentials load the credential provider split out beside index.js", async () => {
  const credentials = path.join(dir, 'credentials');
  await writeFile(
    credentials,
    '[bundle]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = secret\n',
  );
  const invocation = await invoke({
    ...bedrockEnv(),
    AWS_PROFILE: 'bundle',
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: path.join(dir, 'no-config'),
  });
  expect(answerText(invocation)).toBe('echo: What is a bundle?');
  expect(bedrock.calls.at(-1)!.headers.authorization).toContain('Credential=AKIDFROMPROFILE/');
  expect(invocation.loaded).toContain(
    path.join(dir, 'lambda', 'node_modules', '@aws-sdk', 'credential-provider-ini.js'),
  );
});

test('an Ollama function answers through the provider required when named', async () => {
  const ollama = new FakeOllama();
  const url = await ollama.start();
  try {
    const invocation = await invoke({ MODEL_PROVIDER: 'ollama', OLLAMA_HOST: url });
    expect(answerText(invocation)).not.toBe('');
    expect(ollama.calls).toBe(1);
  } finally {
    await ollama.stop();
  }
});
