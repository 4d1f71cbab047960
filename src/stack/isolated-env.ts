import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './ports';

/**
 * Environment for a whole stack on free ports of 127.0.0.1, with its own data and output folders in a new temp
 * folder, so tests and benchmarks never collide with each other or with a stack a developer runs.
 */
export async function isolatedStackEnv(prefix: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(dir, 'data'));
  const [temporal, ui, ollama, gateway, llm, api, metrics] = await freePorts(7);
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${ui}`,
    OLLAMA_HOST: `http://127.0.0.1:${ollama}`,
    GATEWAY_PORT: String(gateway),
    LLM_SERVICE_PORT: String(llm),
    CONVERSATION_API_PORT: String(api),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metrics}`,
    STACK_DATA_DIR: path.join(dir, 'data'),
    OUTPUT_DIR: path.join(dir, 'output'),
    LOG_LEVEL: 'warn',
  };
}
