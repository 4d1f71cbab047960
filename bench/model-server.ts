/**
 * The model server alone, for the `real-model` part: what the same Ollama does with the same calls when nothing
 * else is in the way. A recording proxy in front of Ollama keeps the calls a run actually made (both sides: the
 * worker's and the Lambda's); they are then replayed straight to an Ollama started with 1, 2, 4, 8 slots
 * (`OLLAMA_NUM_PARALLEL`), that many calls in flight. With `OLLAMA_DEBUG=1` Ollama logs, per call, how much of the
 * prompt it found in a slot's cache (`loading cache slot ... prompt=N used=M`), which gives the share of prompt
 * tokens it evaluated: its `prompt_eval_count` counts the whole prompt either way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { componentSpecs } from '../src/stack/components';
import { freePorts } from '../src/stack/ports';
import { Supervisor } from '../src/stack/supervisor';
import { isolatedStackEnv } from '../src/stack/isolated-env';
import { loadConfig } from '../src/shared/config';
import type { RecordedCall } from '../test/fixtures/recording-proxy';

export { RecordingProxy, type RecordedCall } from '../test/fixtures/recording-proxy';

export interface OllamaAlone {
  url: string;
  /** Ollama's log so far (with OLLAMA_DEBUG=1, its cache-slot lines). */
  log: () => string;
  stop: () => Promise<void>;
}

/** The stack's Ollama (same binary, models and start-up) on a port of its own, with `numParallel` slots. */
export async function startOllamaAlone(numParallel: number): Promise<OllamaAlone> {
  const env = await isolatedStackEnv('llm-conv-ollama-alone-');
  const [port] = await freePorts(1);
  const host = `http://127.0.0.1:${port}`;
  const spec = componentSpecs(loadConfig({ ...env, OLLAMA_HOST: host }), env.STACK_DATA_DIR!).ollama;
  const logDir = path.join(env.STACK_DATA_DIR!, 'logs');
  const failures: Error[] = [];
  const supervisor = new Supervisor(logDir, (e) => failures.push(e));
  await supervisor.start({
    ...spec,
    env: { ...spec.env, OLLAMA_NUM_PARALLEL: String(numParallel), OLLAMA_DEBUG: '1' },
  });
  return {
    url: host,
    log: () => readFileSync(path.join(logDir, 'ollama.log'), 'utf8'),
    stop: async () => {
      await supervisor.stopAll();
      if (failures.length > 0) throw failures[0];
    },
  };
}

export interface ReplayResult {
  /** Generated (eval) tokens per second of wall time. */
  tokensPerSec: number;
  generatedTokens: number;
  wallMs: number;
}

/**
 * Sends `calls` to `url` in their recorded order, `inFlight` at a time, and counts what the server generated.
 * Each call is sent as recorded (its prompt, options, token limit); the server samples afresh, so replies differ
 * in length a little from the recorded ones, which is why the rate uses the replay's own counts.
 */
export async function replay(
  url: string,
  calls: readonly RecordedCall[],
  inFlight: number,
): Promise<ReplayResult> {
  let next = 0;
  let generatedTokens = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < calls.length) {
      const call = calls[next++]!;
      const res = await fetch(`${url}${call.route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...call.body, stream: false }),
      });
      const reply = (await res.json()) as { eval_count?: number; error?: string };
      if (!res.ok) throw new Error(`replay ${call.route}: ${res.status} ${reply.error ?? ''}`);
      generatedTokens += reply.eval_count ?? 0;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wallMs = performance.now() - started;
  return { tokensPerSec: generatedTokens / (wallMs / 1000), generatedTokens, wallMs };
}

/**
 * From Ollama's debug log (`loading cache slot ... prompt=N used=M remaining=R`): the prompt tokens it had to
 * evaluate over those the calls sent, and the number of calls counted.
 */
export function promptEvalShare(log: string): { share: number; calls: number; promptTokens: number } {
  let prompt = 0;
  let remaining = 0;
  let calls = 0;
  for (const line of log.split('\n')) {
    if (!line.includes('loading cache slot')) continue;
    const p = /\bprompt=(\d+)/.exec(line);
    const r = /\bremaining=(\d+)/.exec(line);
    if (!p || !r) continue;
    prompt += Number(p[1]);
    remaining += Number(r[1]);
    calls += 1;
  }
  return { share: prompt === 0 ? NaN : remaining / prompt, calls, promptTokens: prompt };
}
