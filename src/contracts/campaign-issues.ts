/**
 * A campaign spec's problems as `{path, message}` pairs, with paths as a user writes them (`pairs[1].cloud.model`).
 * Pure: the workflow may format the schema's errors too.
 */
import type { z } from 'zod';

export interface SpecIssue {
  /** `pairs[1].cloud.model`, `seedsFile line 3: query`, or `(root)` for the spec as a whole. */
  path: string;
  message: string;
}

/** `['pairs', 1, 'cloud', 'model']` → `pairs[1].cloud.model`; `[]` → `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** The first line of each message: `Invalid campaign spec: pairs[1].cloud.model: …`. */
export function describeIssues(issues: readonly SpecIssue[]): string {
  const first = issues[0];
  if (!first) return 'Invalid campaign spec';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `Invalid campaign spec: ${first.path}: ${first.message}${more}`;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * zod's issues with paths as above. An unknown key is named by its own path (`pairs[0].foo`), and a seed that is
 * neither a string nor a valid seed object gets the issues of the form it was written in, not zod's bare
 * "Invalid input".
 */
export function issuesOf(error: z.ZodError): SpecIssue[] {
  return error.issues.flatMap((issue) => flatten(issue, []));
}

function flatten(issue: ZodIssue, prefix: PropertyKey[]): SpecIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'is not a known field' }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // The branch whose type the value has (a seed written as an object gets the object's issues); when it has
    // none of them, which types it may be.
    const branch = issue.errors.find((issues) => !issues.some(isTopLevelTypeMismatch));
    if (branch) return branch.flatMap((i) => flatten(i, path));
    const expected = issue.errors.flatMap((issues) =>
      issues.filter(isTopLevelTypeMismatch).map((i) => (i as { expected: string }).expected),
    );
    return [{ path: formatPath(path), message: `must be a ${expected.join(' or ')}` }];
  }
  return [{ path: formatPath(path), message: issue.message }];
}

function isTopLevelTypeMismatch(issue: ZodIssue): boolean {
  return issue.code === 'invalid_type' && issue.path.length === 0;
}
