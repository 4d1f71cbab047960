/**
 * Choosing a model endpoint by name: the API refuses a name it does not know or a side cannot use (400 naming the
 * field), never takes a URL, and fills the model in from the endpoint; a campaign pair the same. The workers'
 * routing is in test/integration/conversation-workflow.test.ts.
 */
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { validateCampaign } from '../../src/campaign/validate';
import { WORKFLOW_TYPE } from '../../src/contracts/conversation';
import { inputSchemas } from '../../src/contracts/conversation-input';
import { withConfigDefaults } from '../../src/conversation/start';
import { parseModelEndpoints } from '../../src/models/endpoints';
import { loadConfig } from '../../src/shared/config';
import type { WorkflowClient } from '../../src/shared/workflow-resource';

const config = { ...loadConfig({}), OUTPUT_DIR: '/nonexistent' };
const endpoints = parseModelEndpoints(
  `
endpoints:
  - { name: fleet, kind: openai, baseUrl: "http://vllm.internal:8000/v1", model: served-model }
  - { name: box, kind: ollama, baseUrl: "http://ollama-2.internal:11434" }
  - { name: region-2, kind: bedrock, baseUrl: "http://llm-service-2.internal:8080" }
`,
  'endpoints.yaml',
  config,
);

function app() {
  const start = jest.fn(async (_type: string, options: { workflowId: string }) => ({
    workflowId: options.workflowId,
    firstExecutionRunId: 'run-1',
  }));
  const client = {
    workflow: { start, count: jest.fn(async () => ({ count: 0, groups: [] })) },
    workflowService: { getSystemInfo: jest.fn(async () => ({})) },
    withDeadline: <R>(_deadline: number | Date, fn: () => Promise<R>) => fn(),
  };
  const api = createApp({
    client: client as unknown as WorkflowClient,
    config,
    logger: pino({ level: 'silent' }),
    endpoints,
  });
  return { api, start };
}

describe('POST /conversation with endpoints', () => {
  test("starts with the endpoints named, the model from the local endpoint's own", async () => {
    const { api, start } = app();
    const res = await request(api)
      .post('/conversation')
      .send({ initialQuery: 'Hi', cloud: { endpoint: 'region-2' }, local: { endpoint: 'fleet' } });
    expect(res.status).toBe(202);
    expect(start).toHaveBeenCalledWith(
      WORKFLOW_TYPE,
      expect.objectContaining({
        args: [
          expect.objectContaining({
            cloud: { endpoint: 'region-2', maxTokens: 150 },
            local: { endpoint: 'fleet', model: 'served-model', maxTokens: 96 },
          }),
        ],
      }),
    );
  });

  test.each([
    [
      'an unknown endpoint',
      { local: { endpoint: 'gpu-9' } },
      'local.endpoint',
      /no model endpoint is named "gpu-9" \(known: local, cloud, fleet, box, region-2\)/,
    ],
    [
      'an Ollama endpoint for the cloud side',
      { cloud: { endpoint: 'box' } },
      'cloud.endpoint',
      /"box" is an ollama endpoint; the cloud side calls bedrock or openai endpoints/,
    ],
    [
      'the Lambda path for the local side',
      { local: { endpoint: 'cloud' } },
      'local.endpoint',
      /the local side calls ollama or openai endpoints/,
    ],
    ['a URL', { local: { endpoint: 'http://10.0.0.1:11434' } }, 'local.endpoint', /must be 1 to 48/],
  ])('refuses %s with a 400 naming the field', async (_what, sides, field, message) => {
    const { api, start } = app();
    const res = await request(api)
      .post('/conversation')
      .send({ initialQuery: 'Hi', ...sides });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect(res.body.error.message).toMatch(message);
    expect(start).not.toHaveBeenCalled();
  });

  test('refuses any field besides the endpoint name that would say where to call', async () => {
    const { api } = app();
    const res = await request(api)
      .post('/conversation')
      .send({ initialQuery: 'Hi', local: { baseUrl: 'http://10.0.0.1:11434' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/baseUrl/);
  });
});

describe('withConfigDefaults and endpoints', () => {
  test("keeps OLLAMA_MODEL for the local default, and leaves an endpoint's model to it", () => {
    const input = (local: object) => inputSchemas().conversationInput.parse({ initialQuery: 'Hi', local });
    expect(withConfigDefaults(input({}), config, endpoints).local?.model).toBe('gemma3:270m');
    expect(withConfigDefaults(input({ endpoint: 'local' }), config, endpoints).local?.model).toBe(
      'gemma3:270m',
    );
    expect(withConfigDefaults(input({ endpoint: 'fleet' }), config, endpoints).local?.model).toBe(
      'served-model',
    );
    // An Ollama endpoint without a model of its own: the worker's default for it applies.
    expect(withConfigDefaults(input({ endpoint: 'box' }), config, endpoints).local).not.toHaveProperty(
      'model',
    );
    expect(
      withConfigDefaults(input({ endpoint: 'fleet', model: 'other' }), config, endpoints).local?.model,
    ).toBe('other');
  });
});

describe('a campaign pair names endpoints', () => {
  const spec = (pairs: object[]) => ({ seeds: ['Why is the sky blue?'], pairs });

  test('that exist and fit their side', async () => {
    const valid = await validateCampaign(
      spec([{ local: { endpoint: 'fleet' } }, { local: { endpoint: 'box' } }]),
      {
        inputDir: '/nonexistent',
        endpoints,
      },
    );
    expect(valid.ok).toBe(true);
  });

  test('or is refused, naming the pair and the field', async () => {
    const valid = await validateCampaign(
      spec([{}, { cloud: { endpoint: 'box' }, local: { endpoint: 'nope' } }]),
      {
        inputDir: '/nonexistent',
        endpoints,
      },
    );
    expect(valid.ok).toBe(false);
    expect(!valid.ok && valid.issues.map((i) => i.path)).toEqual([
      'pairs[1].cloud.endpoint',
      'pairs[1].local.endpoint',
    ]);
  });
});
