import type { z } from 'zod';
import { ValidationError } from '../contracts/errors';

/** Parses `input` with `schema`; on failure throws a 400 ValidationError whose message names the first bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'request body',
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: i.path.join('.') || '(root)',
    message: i.message,
  }));
  const first = issues[0]!;
  throw new ValidationError(`Invalid ${what}: ${first.field}: ${first.message}`, issues);
}
