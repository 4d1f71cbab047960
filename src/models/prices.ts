/**
 * The price table (`MODEL_PRICES_FILE`): model id → USD per 1 000 input and output tokens. Read and validated once
 * at start-up; the activities price each call with it, the campaign's dataset writers report it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../contracts/errors';
import type { TokenUsage } from '../contracts/conversation';

export interface ModelPrice {
  inputPer1k: number;
  outputPer1k: number;
}
export type ModelPrices = Readonly<Record<string, ModelPrice>>;

const price = z.object({ inputPer1k: z.number().min(0), outputPer1k: z.number().min(0) }).strict();
const table = z.record(z.string().min(1), price);

/** Throws a ConfigError naming the file and, for a bad entry, the model. */
export function parseModelPrices(json: string, source: string): ModelPrices {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`MODEL_PRICES_FILE ${source}: not JSON (${(err as Error).message})`);
  }
  const parsed = table.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const [model, ...rest] = i.path.map(String);
      return model === undefined
        ? i.message
        : `model "${model}"${rest.length ? ` ${rest.join('.')}` : ''}: ${i.message}`;
    });
    throw new ConfigError(`MODEL_PRICES_FILE ${source}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** No file: every model is unpriced. */
export function loadModelPrices(file: string | undefined): ModelPrices {
  if (!file) return {};
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`MODEL_PRICES_FILE ${file}: cannot be read (${(err as Error).message})`);
  }
  return parseModelPrices(json, file);
}

/** What one call cost; a model without a price costs 0 and says so. */
export function priceCall(
  prices: ModelPrices,
  model: string,
  usage: TokenUsage,
): { costUsd: number; priced: boolean } {
  const p = Object.hasOwn(prices, model) ? prices[model] : undefined;
  if (!p) return { costUsd: 0, priced: false };
  return {
    costUsd: (usage.inputTokens / 1000) * p.inputPer1k + (usage.outputTokens / 1000) * p.outputPer1k,
    priced: true,
  };
}
