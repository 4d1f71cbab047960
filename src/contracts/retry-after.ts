/** Response headers as `fetch` gives them, or as a plain object (node:http, the AWS SDK's `$response.headers`). */
export type ResponseHeaders = Headers | Readonly<Record<string, string | string[] | undefined>>;

function header(headers: ResponseHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * How long a server asked its callers to wait, in ms: OpenAI's `retry-after-ms`, AWS's `x-amz-retry-after` (ms),
 * else `Retry-After` in seconds or as an HTTP date. Unparseable or absent: undefined (the caller's own backoff
 * applies).
 */
export function parseRetryAfter(headers: ResponseHeaders, now = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-amz-retry-after']) {
    const ms = Number(header(headers, name) ?? NaN);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
