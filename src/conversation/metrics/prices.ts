import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../contracts/errors';

/** USD per 1 000 tokens, by model id: the MODEL_PRICES_FILE format. */
const priceTable = z.record(
  z.string().min(1),
  z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
);
export type PriceTable = z.infer<typeof priceTable>;

/** Reads MODEL_PRICES_FILE; a missing or malformed file stops the worker with a message naming it. */
export function loadPriceTable(file: string): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`MODEL_PRICES_FILE: cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  const parsed = priceTable.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`MODEL_PRICES_FILE: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The call's cost in USD, or undefined when the table has no price for the model. */
export function costUsd(prices: PriceTable, model: string, inputTokens: number, outputTokens: number) {
  const price = prices[model];
  return price && (inputTokens * price.input + outputTokens * price.output) / 1000;
}
