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
  const [first, ...more] = result.error.issues.map((i) => ({
    field: i.path.join('.') || '(root)',
    message: i.message,
  }));
  throw invalid(what, [first!, ...more]);
}

/** A 400 whose message names the first bad field, carrying every issue. */
export function invalid(what: string, issues: readonly [FieldIssue, ...FieldIssue[]]): ValidationError {
  const [first] = issues;
  return new ValidationError(`Invalid ${what}: ${first.field}: ${first.message}`, [...issues]);
}

export interface FieldIssue {
  field: string;
  message: string;
}
