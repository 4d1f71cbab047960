/** MODEL_ENDPOINTS_FILE: the defaults from the environment, the file's endpoints, and errors naming file and field. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/contracts/errors';
import {
  endpointApiKey,
  endpointProblem,
  endpointTaskQueue,
  loadModelEndpoints,
  parseModelEndpoints,
} from '../../src/models/endpoints';
import { loadConfig } from '../../src/shared/config';

const config = loadConfig({
  OLLAMA_HOST: 'http://ollama.internal:11434',
  LLM_SERVICE_URL: 'http://llm-service.internal:8080',
  LOCAL_MAX_CONCURRENT_CALLS: '6',
  CLOUD_MAX_CONCURRENT_CALLS: '40',
  CLOUD_MAX_CALLS_PER_SECOND: '10',
});

const YAML = `
endpoints:
  - name: gpu-fleet
    kind: openai
    baseUrl: http://vllm.internal:8000/v1
    apiKeyEnv: VLLM_API_KEY
    model: meta-llama/Llama-3.1-8B-Instruct
    caps: { maxConcurrentCalls: 64, maxTokensPerMinute: 500000 }
  - name: base-box
    kind: openai
    baseUrl: http://llama.internal:8080/v1
    api: completions
    model: base-model
  - name: second-ollama
    kind: ollama
    baseUrl: http://ollama-2.internal:11434
  - name: other-region
    kind: bedrock
`;

function problem(text: string, source = 'endpoints.yaml'): string {
  try {
    parseModelEndpoints(text, source, config);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('model endpoints', () => {
  it('has the two defaults from the environment when no file is given', () => {
    const endpoints = loadModelEndpoints(config, undefined);
    expect(endpoints.all.map((e) => e.name)).toEqual(['local', 'cloud']);
    expect(endpoints.defaults.local).toEqual({
      name: 'local',
      kind: 'ollama',
      baseUrl: 'http://ollama.internal:11434',
      replicas: [{ url: 'http://ollama.internal:11434', maxConcurrentCalls: 6 }],
      routing: 'affinity',
      contextTokens: 4096,
      caps: { maxConcurrentCalls: 6, maxCallsPerSecond: 0, maxTokensPerMinute: 0 },
    });
    expect(endpoints.defaults.cloud).toEqual({
      name: 'cloud',
      kind: 'bedrock',
      baseUrl: 'http://llm-service.internal:8080',
      replicas: [{ url: 'http://llm-service.internal:8080', maxConcurrentCalls: 40 }],
      routing: 'affinity',
      contextTokens: 4096,
      caps: { maxConcurrentCalls: 40, maxCallsPerSecond: 10, maxTokensPerMinute: 0 },
    });
  });

  it("takes each side's default context window from LOCAL_/CLOUD_CONTEXT_TOKENS", () => {
    const endpoints = loadModelEndpoints(
      loadConfig({ LOCAL_CONTEXT_TOKENS: '32768', CLOUD_CONTEXT_TOKENS: '200000' }),
      undefined,
    );
    expect(endpoints.defaults.local.contextTokens).toBe(32_768);
    expect(endpoints.defaults.cloud.contextTokens).toBe(200_000);
    expect(() => loadConfig({ LOCAL_CONTEXT_TOKENS: '100' })).toThrow(/LOCAL_CONTEXT_TOKENS/);
  });

  it('reads replicas (baseUrls) with caps of their own, the endpoint capped at their sum', () => {
    const endpoints = parseModelEndpoints(
      `endpoints:
  - name: pair
    kind: ollama
    baseUrls: [http://a:11434, { url: http://b:11434, maxConcurrentCalls: 2 }]
    contextTokens: 8192
  - name: fleet
    kind: openai
    model: m
    baseUrls: [http://c/v1, http://d/v1]
    routing: round-robin
    caps: { maxConcurrentCalls: 100 }
`,
      'endpoints.yaml',
      config,
    );
    expect(endpoints.get('pair')).toMatchObject({
      baseUrl: 'http://a:11434',
      replicas: [
        { url: 'http://a:11434', maxConcurrentCalls: 6 },
        { url: 'http://b:11434', maxConcurrentCalls: 2 },
      ],
      routing: 'affinity',
      contextTokens: 8192,
      caps: { maxConcurrentCalls: 8 },
    });
    expect(endpoints.get('fleet')).toMatchObject({
      routing: 'round-robin',
      caps: { maxConcurrentCalls: 100 },
    });
  });

  it("names the REST service's API_KEY as the cloud default's key when it is set", () => {
    const withKey = loadConfig({ API_KEY: 'a-key-of-sixteen-chars' });
    expect(loadModelEndpoints(withKey, undefined).defaults.cloud.apiKeyEnv).toBe('API_KEY');
  });

  it("reads a YAML file's endpoints beside the defaults, filling in the kind's defaults", () => {
    const endpoints = parseModelEndpoints(YAML, 'endpoints.yaml', config);
    expect(endpoints.all.map((e) => e.name)).toEqual([
      'local',
      'cloud',
      'gpu-fleet',
      'base-box',
      'second-ollama',
      'other-region',
    ]);
    expect(endpoints.get('gpu-fleet')).toEqual({
      name: 'gpu-fleet',
      kind: 'openai',
      baseUrl: 'http://vllm.internal:8000/v1',
      apiKeyEnv: 'VLLM_API_KEY',
      api: 'chat',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      replicas: [{ url: 'http://vllm.internal:8000/v1', maxConcurrentCalls: 64 }],
      routing: 'affinity',
      contextTokens: 4096,
      caps: { maxConcurrentCalls: 64, maxCallsPerSecond: 0, maxTokensPerMinute: 500_000 },
    });
    expect(endpoints.get('base-box')).toMatchObject({ api: 'completions', caps: { maxConcurrentCalls: 6 } });
    expect(endpoints.get('second-ollama')).not.toHaveProperty('api');
    expect(endpoints.get('other-region')).toMatchObject({
      baseUrl: 'http://llm-service.internal:8080',
      caps: { maxConcurrentCalls: 40, maxCallsPerSecond: 10 },
    });
    expect(endpoints.get('nope')).toBeUndefined();
  });

  it('reads the same from a JSON file on disk', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'endpoints-'));
    try {
      const file = path.join(dir, 'endpoints.json');
      writeFileSync(
        file,
        JSON.stringify({
          endpoints: [{ name: 'lm-studio', kind: 'openai', baseUrl: 'http://127.0.0.1:1234/v1', model: 'm' }],
        }),
      );
      expect(loadModelEndpoints(config, file).get('lm-studio')).toMatchObject({
        kind: 'openai',
        api: 'chat',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'a missing file',
      '/nonexistent/endpoints.yaml',
      /MODEL_ENDPOINTS_FILE \/nonexistent\/endpoints.yaml: cannot be read/,
    ],
    ['another extension', '/etc/hostname', /must end in \.json, \.yaml or \.yml/],
  ])('refuses %s, naming it', (_what, file, message) => {
    expect(() => loadModelEndpoints(config, file)).toThrow(message);
  });

  it.each([
    ['not YAML', 'endpoints: [', /MODEL_ENDPOINTS_FILE endpoints.yaml: not YAML/],
    ['no endpoints list', 'servers: []', /\(file\)|endpoints: /],
    [
      'a URL with credentials',
      'endpoints: [{name: a, kind: openai, model: m, baseUrl: "http://u:p@h/v1"}]',
      /endpoints\[0\] \("a"\)\.baseUrl: must be an http\(s\) URL without query, fragment or credentials/,
    ],
    [
      'a missing baseUrl',
      'endpoints: [{name: a, kind: ollama}]',
      /endpoints\[0\] \("a"\)\.baseUrl: is required for kind ollama/,
    ],
    [
      'an unknown kind',
      'endpoints: [{name: a, kind: tgi, baseUrl: "http://h"}]',
      /endpoints\[0\] \("a"\)\.kind/,
    ],
    [
      'api on a kind without it',
      'endpoints: [{name: a, kind: ollama, baseUrl: "http://h", api: chat}]',
      /endpoints\[0\] \("a"\)\.api: is only for kind openai/,
    ],
    [
      'a key in place of a variable name',
      'endpoints: [{name: a, kind: openai, model: m, baseUrl: "http://h", apiKeyEnv: "sk-123"}]',
      /endpoints\[0\] \("a"\)\.apiKeyEnv: must be an environment variable name/,
    ],
    [
      'a negative cap',
      'endpoints: [{name: a, kind: openai, model: m, baseUrl: "http://h", caps: {maxConcurrentCalls: -1}}]',
      /endpoints\[0\] \("a"\)\.caps\.maxConcurrentCalls/,
    ],
    [
      'an unknown cap',
      'endpoints: [{name: a, kind: openai, model: m, baseUrl: "http://h", caps: {maxBatch: 4}}]',
      /endpoints\[0\] \("a"\)\.caps: .*maxBatch/,
    ],
    [
      'a bad name',
      'endpoints: [{name: "GPU fleet", kind: bedrock}]',
      /endpoints\[0\] \("GPU fleet"\)\.name: must be/,
    ],
    [
      'a default name',
      'endpoints: [{name: local, kind: bedrock}]',
      /endpoints\[0\] \("local"\)\.name: "local" is a default/,
    ],
    [
      'both baseUrl and baseUrls',
      'endpoints: [{name: a, kind: ollama, baseUrl: "http://h", baseUrls: ["http://i"]}]',
      /endpoints\[0\] \("a"\)\.baseUrls: is instead of baseUrl/,
    ],
    [
      'a replica twice',
      'endpoints: [{name: a, kind: ollama, baseUrls: ["http://h:1", "http://h:1/"]}]',
      /endpoints\[0\] \("a"\)\.baseUrls\.1: names the same replica twice/,
    ],
    [
      'replicas of a bedrock endpoint',
      'endpoints: [{name: a, kind: bedrock, baseUrls: ["http://h"]}]',
      /endpoints\[0\] \("a"\)\.baseUrls: is for kinds ollama and openai/,
    ],
    [
      'an unknown routing',
      'endpoints: [{name: a, kind: ollama, baseUrls: ["http://h"], routing: random}]',
      /endpoints\[0\] \("a"\)\.routing/,
    ],
    [
      'a context window too small',
      'endpoints: [{name: a, kind: ollama, baseUrl: "http://h", contextTokens: 100}]',
      /endpoints\[0\] \("a"\)\.contextTokens/,
    ],
    [
      'a name used twice',
      'endpoints: [{name: a, kind: bedrock}, {name: a, kind: bedrock}]',
      /endpoints\[1\] \("a"\)\.name: "a" is used twice/,
    ],
  ])('refuses %s, naming the file and the field', (_what, text, message) => {
    expect(problem(text)).toMatch(message);
  });

  it('refuses an openai endpoint without the model it serves', () => {
    expect(problem('endpoints: [{name: a, kind: openai, baseUrl: "http://h/v1"}]')).toMatch(
      /endpoints\[0\] \("a"\)\.model: is required for kind openai/,
    );
  });

  it('says which endpoints a side may name', () => {
    const endpoints = parseModelEndpoints(YAML, 'endpoints.yaml', config);
    expect(endpointProblem(endpoints, 'local', 'gpu-fleet')).toBeUndefined();
    expect(endpointProblem(endpoints, 'cloud', 'gpu-fleet')).toBeUndefined();
    expect(endpointProblem(endpoints, 'local', 'second-ollama')).toBeUndefined();
    expect(endpointProblem(endpoints, 'cloud', 'other-region')).toBeUndefined();
    expect(endpointProblem(endpoints, 'cloud', 'second-ollama')).toBe(
      '"second-ollama" is an ollama endpoint; the cloud side calls bedrock or openai endpoints',
    );
    expect(endpointProblem(endpoints, 'local', 'cloud')).toMatch(/the local side calls ollama or openai/);
    expect(endpointProblem(endpoints, 'local', 'nope')).toBe(
      'no model endpoint is named "nope" (known: local, cloud, gpu-fleet, base-box, second-ollama, other-region)',
    );
  });

  it("runs each endpoint's calls on a task queue of its own, the defaults on today's", () => {
    const endpoints = parseModelEndpoints(YAML, 'endpoints.yaml', config);
    expect(endpoints.all.map((e) => endpointTaskQueue(e, config))).toEqual([
      'llm-local-calls',
      'llm-cloud-calls',
      'llm-calls-gpu-fleet',
      'llm-calls-base-box',
      'llm-calls-second-ollama',
      'llm-calls-other-region',
    ]);
  });

  it('names JSON as what a .json file failed to be', () => {
    expect(problem('{', 'endpoints.json')).toMatch(/MODEL_ENDPOINTS_FILE endpoints.json: not JSON/);
  });

  it('reads the key from the variable the endpoint names, and says which is missing without a value', () => {
    const gpu = parseModelEndpoints(YAML, 'endpoints.yaml', config).get('gpu-fleet')!;
    expect(endpointApiKey(gpu, { VLLM_API_KEY: 'sk-abc' })).toBe('sk-abc');
    expect(() => endpointApiKey(gpu, {})).toThrow(
      'Model endpoint "gpu-fleet": its apiKeyEnv VLLM_API_KEY is not set in the environment',
    );
    expect(endpointApiKey({ ...gpu, apiKeyEnv: undefined }, {})).toBeUndefined();
  });
});
