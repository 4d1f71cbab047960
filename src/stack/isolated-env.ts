import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortBlock, freePorts } from './ports';
import { MAX_WORKER_COUNT } from '../shared/config';
import { INTERNAL_PORT_COUNT, MEMBERSHIP_PORT_LIMIT } from './temporal-server';

/**
 * Environment for a whole stack on free ports of 127.0.0.1, with its own data and output folders in a new temp
 * folder, so tests and benchmarks never collide with each other or with a stack a developer runs.
 */
export async function isolatedStackEnv(prefix: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // PostgreSQL runs as its own user when we are root: it must be able to reach its folder in here.
  chmodSync(dir, 0o711);
  mkdirSync(path.join(dir, 'data'));
  const taken = new Set<number>();
  const block = async (size: number, below?: number) => {
    const first = await freePortBlock(size, { below, taken });
    for (let port = first; port < first + size; port++) taken.add(port);
    return first;
  };
  const internal = await block(INTERNAL_PORT_COUNT, MEMBERSHIP_PORT_LIMIT);
  // One metrics port per worker (WORKER_COUNT), for the SDK's and for the conversations' metrics.
  const metrics = await block(MAX_WORKER_COUNT);
  const conversationMetrics = await block(MAX_WORKER_COUNT);
  const [temporal, ui, ollama, gateway, llm, api, postgres, ...jaeger] = await freePorts(11, taken);
  return {
    POSTGRES_PORT: String(postgres),
    TEMPORAL_INTERNAL_PORT_BASE: String(internal),
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
