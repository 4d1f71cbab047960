/**
 * The rule for a seeds file's name, on the string alone (pure: the spec's schema applies it, so a campaign
 * started from the Temporal CLI is checked the same way); the file system is checked when the file is read
 * (seeds-file.ts). The same rule as an output file's name (conversation/input.ts `outputFileProblem`), for
 * `.jsonl` and `.csv` names inside INPUT_DIR.
 */
import { MAX_OUTPUT_FILE_CHARS, MAX_OUTPUT_NAME_PART_CHARS } from '../contracts/limits';

export const SEEDS_FILE_EXTENSIONS = ['.jsonl', '.csv'] as const;
const NAME_PART = /^[A-Za-z0-9_.@+-]+$/;

/** Why `name` cannot be a seeds file, or undefined when it can. */
export function seedsFileProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_OUTPUT_FILE_CHARS) {
    return `must be 1..${MAX_OUTPUT_FILE_CHARS} characters`;
  }
  if (name.includes('\0')) return 'must not contain NUL';
  if (name.includes('\\')) return 'must not contain backslashes';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    return 'must be a relative path inside the input folder';
  if (!SEEDS_FILE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) {
    return 'must end with .jsonl or .csv';
  }
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) return 'must not contain ".." segments';
  if (parts.some((p) => p === '' || p === '.')) return 'must not contain empty or "." path segments';
  if (parts.some((p) => !NAME_PART.test(p)))
    return 'path segments may only use letters, digits and . _ - @ +';
  if (parts.some((p) => p.startsWith('.'))) return 'path segments must not start with "." (no hidden names)';
  if (parts.some((p) => p.endsWith('.'))) return 'path segments must not end with "."';
  if (parts.some((p) => p.length > MAX_OUTPUT_NAME_PART_CHARS)) {
    return `path segments must be at most ${MAX_OUTPUT_NAME_PART_CHARS} characters`;
  }
  return undefined;
}
