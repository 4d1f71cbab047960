/**
 * The baseline every durability figure is compared with: a plain in-process async loop, as a user would write it
 * by hand, calling the same model endpoints through the same clients and writing the same CSV, with no Temporal.
 */
import { Ollama } from 'ollama';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createLlmServiceClient } from '../../src/conversation/activities/llm-service-client';
import { transcriptToCsv, writeFileAtomic } from '../../src/conversation/activities/transcript-export';
import type { Turn } from '../../src/conversation/definitions';

export interface LoopEndpoints {
  llmServiceUrl: string;
  ollamaHost: string;
  outputDir: string;
}

export function createPlainLoop({ llmServiceUrl, ollamaHost, outputDir }: LoopEndpoints) {
  mkdirSync(outputDir, { recursive: true });
  const cloud = createLlmServiceClient({ baseUrl: llmServiceUrl, timeoutMs: 120_000 });
  const local = new Ollama({ host: ollamaHost });
  return async function converse(id: string, initialQuery: string, maxTurns: number): Promise<Turn[]> {
    const turns: Turn[] = [];
    let query = initialQuery;
    for (let turn = 1; turn <= maxTurns; turn++) {
      const started = Date.now();
      const answer = await cloud.generate({ messages: [{ role: 'user', content: query }], maxTokens: 64 });
      const cloudDone = Date.now();
      const next = await local.chat({
        model: 'gemma3:270m',
        messages: [{ role: 'user', content: `Ask one follow-up question about: ${answer.response}` }],
        options: { num_predict: 32 },
      });
      const finished = Date.now();
      turns.push({
        turn,
        timestamp: new Date(started).toISOString(),
        query,
        cloudResponse: answer.response,
        localResponse: next.message.content,
        processingTimeMs: finished - started,
        cloudModel: answer.model,
        localModel: next.model,
        cloudLatencyMs: cloudDone - started,
        localLatencyMs: finished - cloudDone,
        cloudUsage: answer.usage,
        localUsage: { inputTokens: next.prompt_eval_count, outputTokens: next.eval_count },
      });
      query = next.message.content;
    }
    await writeFileAtomic(path.join(outputDir, `${id}.csv`), transcriptToCsv(id, turns));
    return turns;
  };
}
