/**
 * The price table (`MODEL_PRICES_FILE`): model id → USD per 1 000 input and output tokens, on demand and, optionally,
 * in Bedrock batch inference jobs (`batchInputPer1k`, `batchOutputPer1k`; half the on-demand price for most models).
 * Read and validated once at start-up; the activities price each call with it, the campaign's dataset writers
 * report it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../contracts/errors';
import type { CallMode, TokenUsage } from '../contracts/conversation';

export interface ModelPrice {
  inputPer1k: number;
  outputPer1k: number;
  batchInputPer1k?: number;
  batchOutputPer1k?: number;
}

export type ModelPrices = Readonly<Record<string, ModelPrice>>;

const price = z
  .object({
    inputPer1k: z.number().min(0),
    outputPer1k: z.number().min(0),
    batchInputPer1k: z.number().min(0).optional(),
    batchOutputPer1k: z.number().min(0).optional(),
  })
  .strict();
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

/**
 * What one call cost; a model without a price costs 0 and says so. A batch call without a batch price is priced
 * on demand, so a cost is never understated.
 */
export function priceCall(
  prices: ModelPrices,
  model: string,
  usage: TokenUsage,
  mode: CallMode = 'on_demand',
): { costUsd: number; priced: boolean } {
  const p = Object.hasOwn(prices, model) ? prices[model] : undefined;
  if (!p) return { costUsd: 0, priced: false };
  const batch = mode === 'batch';
  const input = (batch ? p.batchInputPer1k : undefined) ?? p.inputPer1k;
  const output = (batch ? p.batchOutputPer1k : undefined) ?? p.outputPer1k;
  return {
    costUsd: (usage.inputTokens / 1000) * input + (usage.outputTokens / 1000) * output,
    priced: true,
  };
}
