import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/shared/config';
import { repoRoot } from '../helpers/tools';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const ours = ['gateway', 'llm-service', 'worker', 'api'];
// Variables read by the Lambda handler, which the gateway service runs in-process.
const lambdaVariables = ['MODEL_PROVIDER'];

function publishedPorts(name: string): number[] {
  return (services[name]?.ports ?? []).map((p) => Number(p.split(':')[0]));
}

describe('docker-compose.yml', () => {
  it('has Temporal on PostgreSQL, its Web UI, Ollama and our four services', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'ollama', ...ours]),
    );
    expect(services.temporal?.environment?.DB).toMatch(/^postgres/);
    for (const name of ours) expect(services[name]?.build).toBe('.');
  });

  it('publishes the ports of design.md, which are the config defaults', () => {
    const defaults = loadConfig({});
    expect(publishedPorts('temporal')).toEqual([Number(defaults.TEMPORAL_ADDRESS.split(':')[1])]);
    expect(publishedPorts('temporal-ui')).toEqual([Number(new URL(defaults.TEMPORAL_UI_URL).port)]);
    expect(publishedPorts('ollama')).toEqual([Number(new URL(defaults.OLLAMA_HOST).port)]);
    expect(publishedPorts('gateway')).toEqual([defaults.GATEWAY_PORT]);
    expect(publishedPorts('llm-service')).toEqual([defaults.LLM_SERVICE_PORT]);
    expect(publishedPorts('api')).toEqual([defaults.CONVERSATION_API_PORT]);
  });

  it.each(ours)('%s names only variables the code reads, with values its config accepts', (name) => {
    const env = services[name]?.environment ?? {};
    // Read by the process's C library (glibc's malloc), as the stack sets it for its workers.
    const runtimeVariables = ['MALLOC_ARENA_MAX'];
    const unknown = Object.keys(env).filter(
      (k) => !CONFIG_VARIABLES.includes(k) && !lambdaVariables.includes(k) && !runtimeVariables.includes(k),
    );
    expect(unknown).toEqual([]);
    const config = loadConfig(env);
    expect(config.TEMPORAL_TASK_QUEUE).toBe('llm-conversations');
    expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('points every service at the others by their compose names and ports', () => {
    const env = services.worker?.environment ?? {};
    expect(new URL(env.LLM_SERVICE_URL ?? '').host).toBe(`llm-service:${publishedPorts('llm-service')[0]}`);
    expect(new URL(env.API_GATEWAY_URL ?? '').host).toBe(`gateway:${publishedPorts('gateway')[0]}`);
    expect(new URL(env.OLLAMA_HOST ?? '').host).toBe(`ollama:${publishedPorts('ollama')[0]}`);
  });

  it('starts each of our services with an entry the image compiles from a source that exists', () => {
    for (const name of ours) {
      const entry = services[name]?.command?.at(-1) ?? '';
      expect(entry).toMatch(/^dist\/.+\.js$/);
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(() => readFileSync(path.join(repoRoot, source))).not.toThrow();
    }
  });
});
