/**
 * Rules for the text the system carries. Pure: the workflow sandbox, the services and the Lambda import it.
 */

/**
 * A lone UTF-16 surrogate (half of a pair, e.g. from `"\ud800"` in JSON) is not text: UTF-8, protobuf and most
 * model APIs cannot carry it. With the `u` flag a regular expression reads code points, so a complete pair is one
 * astral character and only a lone half is in the Surrogate category. Same answer as
 * `String.prototype.isWellFormed` (Node ≥ 20), which the ES2022 library types do not declare.
 */
const LONE_SURROGATE = /\p{Cs}/u;

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export const NOT_WELL_FORMED_MESSAGE =
  'must be well-formed Unicode text (it holds a lone UTF-16 surrogate such as \\ud800, which cannot be sent on)';

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;

/**
 * The text with every URL replaced by `<url>`: a model server's error body (a proxy's page) quoted in an error
 * message would otherwise carry an address of the operator's network into API answers and dataset files.
 */
export function withoutUrls(text: string): string {
  return text.replace(URL_IN_TEXT, '<url>');
}
