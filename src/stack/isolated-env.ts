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
  const [temporal, ui, ollama, gateway, llm, api, metrics, conversationMetrics, ...jaeger] =
    await freePorts(12);
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${ui}`,
    OLLAMA_HOST: `http://127.0.0.1:${ollama}`,
    GATEWAY_PORT: String(gateway),
    LLM_SERVICE_PORT: String(llm),
    CONVERSATION_API_PORT: String(api),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metrics}`,
    CONVERSATION_METRICS_ADDRESS: `127.0.0.1:${conversationMetrics}`,
    JAEGER_OTLP_GRPC_PORT: String(jaeger[0]),
    JAEGER_OTLP_HTTP_PORT: String(jaeger[1]),
    JAEGER_UI_PORT: String(jaeger[2]),
    JAEGER_GRPC_PORT: String(jaeger[3]),
    STACK_DATA_DIR: path.join(dir, 'data'),
    OUTPUT_DIR: path.join(dir, 'output'),
    LOG_LEVEL: 'warn',
  };
}
