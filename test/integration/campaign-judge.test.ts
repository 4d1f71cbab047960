/**
 * judgeConversation against the fake Ollama (a base model, prompted as one, and a chat model) and the fake LLM
 * service: the score and rationale parsed from the reply, a reply with no score retried and then recorded as
 * `score: null`, and the transcript read only inside OUTPUT_DIR.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeDatasetActivities, type JudgeInput } from '../../src/campaign/activities/dataset';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { createOllamaClient } from '../../src/models/ollama-client';
import { modelCallActivityEnvironment } from '../helpers/activity-environment';
import { CHAT_TEMPLATE } from '../helpers/ollama-client';
import { buildCampaignFolder, type CampaignFixture } from '../helpers/campaign-folder';
import { FakeOllama } from '../fixtures/ollama-server';
import { FakeLlmService } from '../fixtures/llm-service-server';
import { LocalStore } from '../../src/output/local-store';

let reply = '';
const prompts: string[] = [];
const baseModel = new FakeOllama({
  reply: (prompt) => {
    prompts.push(prompt);
    return reply;
  },
});
const chatModel = new FakeOllama({ template: CHAT_TEMPLATE, reply: () => reply });
const cloud = new FakeLlmService(0, () => reply);
let cloudUrl: string;
let dir: string;
let fixture: CampaignFixture;

beforeAll(async () => {
  await Promise.all([baseModel.start(), chatModel.start()]);
  cloudUrl = await cloud.start();
  dir = await mkdtemp(path.join(tmpdir(), 'campaign-judge-'));
  fixture = await buildCampaignFolder(path.join(dir, 'out'), 'judged', [{ turns: 2 }]);
});

afterAll(async () => {
  await Promise.all([baseModel.stop(), chatModel.stop(), cloud.stop()]);
  await rm(dir, { recursive: true, force: true });
});

function judge(ollama: FakeOllama, withCloud = true) {
  return makeDatasetActivities({
    store: new LocalStore(path.join(dir, 'out')),
    ollama: createOllamaClient(ollama.url),
    ...(withCloud ? { llmService: createLlmServiceClient({ baseUrl: cloudUrl, timeoutMs: 30_000 }) } : {}),
    temporalNamespace: 'default',
  }).judgeConversation;
}

function input(side: 'local' | 'cloud'): JudgeInput {
  return {
    conversationId: fixture.outcomes[0]!.conversationId,
    jsonlPath: fixture.outcomes[0]!.jsonlPath!,
    judge: {
      model: side === 'local' ? 'gemma3:270m' : 'fake-judge',
      side,
      rubric: 'Reward answers that stay on topic.',
    },
  };
}

function run(fn: (input: JudgeInput) => Promise<unknown>, judgeInput: JudgeInput, attempt = 1) {
  return modelCallActivityEnvironment({ attempt }).run(fn, judgeInput);
}

describe('a local base model as the judge', () => {
  it('continues a page of example reviews after "Score:" and gives the score and the rest of its line', async () => {
    reply = ' 7/10 - the answers stay on topic.';
    await expect(run(judge(baseModel), input('local'))).resolves.toEqual({
      score: 7,
      rationale: 'the answers stay on topic.',
      model: 'gemma3:270m',
      attempts: 1,
    });
    const prompt = prompts.at(-1)!;
    // Filled-in reviews first (a small base model copies a described format back), then this conversation's.
    expect(prompt).toMatch(/Review 1: Score: \d+\/10 - .+\n/);
    expect(prompt).toMatch(/\nReview 4: Score:$/);
    expect(prompt).toContain('Reward answers that stay on topic.');
    expect(prompt.indexOf(`Question: ${fixture.plan[0]!.seed.query}`)).toBeGreaterThan(
      prompt.indexOf('Review 3:'),
    );
  });

  it('retries a reply with no score, then records score null with what it said', async () => {
    reply = 'banana bread, 2023 edition';
    await expect(run(judge(baseModel), input('local'), 1)).rejects.toMatchObject({
      type: 'JudgeScoreUnparsable',
      nonRetryable: false,
    });
    await expect(run(judge(baseModel), input('local'), 3)).resolves.toEqual({
      score: null,
      rationale: expect.stringContaining('"banana bread, 2023 edition"') as unknown,
      model: 'gemma3:270m',
      attempts: 3,
    });
  });
});

describe('a local chat model as the judge', () => {
  it('is asked through the chat API and answers in the format asked', async () => {
    reply = '**Score: 9/10** — clear, on-topic answers.';
    await expect(run(judge(chatModel), input('local'))).resolves.toMatchObject({
      score: 9,
      rationale: 'clear, on-topic answers.',
    });
  });
});

describe('a cloud model as the judge', () => {
  it('goes through the LLM REST service', async () => {
    const calls = cloud.calls;
    reply = 'Score: 4/10 - the answers are vague.';
    await expect(run(judge(baseModel), input('cloud'))).resolves.toEqual({
      score: 4,
      rationale: 'the answers are vague.',
      model: 'fake-judge',
      attempts: 1,
    });
    expect(cloud.calls).toBe(calls + 1);
  });

  it('retries garbage, then records score null', async () => {
    reply = 'I cannot rate this.';
    await expect(run(judge(baseModel), input('cloud'), 2)).rejects.toMatchObject({
      type: 'JudgeScoreUnparsable',
    });
    await expect(run(judge(baseModel), input('cloud'), 3)).resolves.toMatchObject({
      score: null,
      attempts: 3,
    });
  });

  it('fails for good on a worker with no LLM service client', async () => {
    await expect(run(judge(baseModel, false), input('cloud'))).rejects.toMatchObject({
      type: 'JudgeUnavailable',
      nonRetryable: true,
    });
  });
});

it('reads no transcript outside OUTPUT_DIR', async () => {
  const outside = path.join(dir, 'elsewhere.jsonl');
  await writeFile(outside, '{}\n');
  await expect(run(judge(baseModel), { ...input('local'), jsonlPath: outside })).rejects.toMatchObject({
    type: 'CampaignFilesMissing',
    nonRetryable: true,
  });
});
