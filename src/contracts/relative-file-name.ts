/**
 * The one rule for a file name a caller gives relative to a folder we own (an output transcript inside OUTPUT_DIR,
 * a seeds file inside INPUT_DIR), on the string alone so the workflow sandbox can apply it too. The name is taken
 * literally (never decoded) and must be a relative path whose `/`-separated parts use only ASCII letters, digits
 * and `. _ - @ +`; no part is empty, `.` or `..`, starts with a dot (navigation look-alikes and hidden names) or ends
 * with one (Windows drops trailing dots, so `a./` would be `a/`). The file system is checked where the file is
 * opened.
 */
import { MAX_OUTPUT_FILE_CHARS, MAX_OUTPUT_NAME_PART_CHARS } from './limits';

const NAME_PART = /^[A-Za-z0-9_.@+-]+$/;

/** Why `name` cannot be used, or undefined when it can. `extensions` are lower case, with their dot. */
export function relativeFileNameProblem(
  name: string,
  extensions: readonly string[],
  folder: string,
): string | undefined {
  if (name.length === 0 || name.length > MAX_OUTPUT_FILE_CHARS) {
    return `must be 1..${MAX_OUTPUT_FILE_CHARS} characters`;
  }
  if (name.includes('\0')) return 'must not contain NUL';
  if (name.includes('\\')) return 'must not contain backslashes';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `must be a relative path inside the ${folder}`;
  if (!extensions.some((ext) => name.toLowerCase().endsWith(ext))) {
    return `must end with ${extensions.join(' or ')}`;
  }
  return relativePathPartsProblem(name);
}

/**
 * Why the `/`-separated parts of a relative path cannot be used, or undefined (a leading `/` makes an empty part).
 * Also the rule for the output store's keys and OUTPUT_URL's prefix.
 */
export function relativePathPartsProblem(name: string): string | undefined {
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
