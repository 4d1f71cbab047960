/**
 * The rule for a seeds file's name, on the string alone (pure: the spec's schema applies it, so a campaign
 * started from the Temporal CLI is checked the same way); the file system is checked when the file is read
 * (seeds-file.ts). The same rule as an output file's name (conversation-input.ts `outputFileProblem`), for
 * `.jsonl` and `.csv` names inside INPUT_DIR.
 */
import { relativeFileNameProblem } from './relative-file-name';

export const SEEDS_FILE_EXTENSIONS = ['.jsonl', '.csv'] as const;

/** Why `name` cannot be a seeds file, or undefined when it can. */
export function seedsFileProblem(name: string): string | undefined {
  return relativeFileNameProblem(name, SEEDS_FILE_EXTENSIONS, 'input folder');
}
