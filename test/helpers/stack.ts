import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { groupAlive } from '../../src/stack/supervisor';
import { bearerHeaders } from '../../src/shared/auth';
import { loadConfig } from '../../src/shared/config';
import { repoRoot } from './tools';
import { isolatedStackEnv } from '../../src/stack/isolated-env';

export interface StackHandle {
  env: Record<string, string>;
  apiUrl: string;
  /** `Authorization` for the Conversation API when CONVERSATION_API_KEY is set for the stack, else nothing. */
  apiHeaders: Record<string, string>;
  outputDir: string;
  dataDir: string;
  output: () => string;
  /** Ctrl-C as a terminal sends it (SIGINT to the foreground process group); resolves with the exit code. */
  interrupt: () => Promise<number | null>;
  /** Process ids of every component the stack started, read from its stack.json. */
  componentPids: () => number[];
}

/**
 * Runs the README's start command (`npm start`) on free ports with its own data and output folders,
 * so it never collides with a stack a developer already runs, and waits until it prints that it is ready.
 */
export async function startStack(
  extraEnv: Record<string, string> = {},
  readyTimeoutMs = 600_000,
): Promise<StackHandle> {
  const env = { ...(await isolatedStackEnv('llm-conv-e2e-')), ...extraEnv };
  // What the stack's API sees: this environment (with .env, which loading the config reads) under the stack's own.
  const { CONVERSATION_API_KEY } = loadConfig({ ...process.env, ...env });
  let output = '';
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const handle: StackHandle = {
    env,
    apiUrl: `http://127.0.0.1:${env.CONVERSATION_API_PORT}`,
    apiHeaders: bearerHeaders(CONVERSATION_API_KEY),
    outputDir: env.OUTPUT_DIR!,
    dataDir: env.STACK_DATA_DIR!,
    output: () => output,
    interrupt: async () => {
      if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGINT');
      return exited;
    },
    componentPids: () => {
      const state = JSON.parse(readFileSync(path.join(env.STACK_DATA_DIR!, 'stack.json'), 'utf8')) as {
        components: Record<string, number>;
      };
      return Object.values(state.components);
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (!output.includes('[stack] ready')) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await handle.interrupt();
      throw new Error(`npm start was not ready after ${readyTimeoutMs} ms:\n${output}`);
    }
    await delay(250);
  }
  return handle;
}
