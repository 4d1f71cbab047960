import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Uint8Array;
  /** For the whole exchange, connecting included; past it the request is aborted with a `TimeoutError`. */
  timeoutMs: number;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: Uint8Array;
  /** All of the reply's headers (names in lower case), e.g. API Gateway's `Retry-After` with its 429. */
  headers?: Record<string, string | string[] | undefined>;
}

/** Sends one request and reads the whole reply. Fails with a `TimeoutError` or the socket's error (with `code`). */
export type HttpTransport = (request: HttpRequest) => Promise<HttpReply>;

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * node:http(s) with explicit keep-alive agents: consecutive calls reuse idle connections (and their TLS sessions)
 * instead of opening one per request. Chosen over Node's fetch, which keeps alive too but costs about three times
 * the CPU per call on Node 20 (measured in bench/cloud.ts's setting).
 */
export function createHttpTransport({ maxSockets = 256 } = {}): HttpTransport {
  // LIFO keeps the fewest sockets busy, so idle ones age out instead of being kept half-warm.
  const options = { keepAlive: true, maxSockets, scheduling: 'lifo' as const };
  const agents = { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };
  return ({ url, method, headers, body, timeoutMs }) =>
    new Promise<HttpReply>((resolve, reject) => {
      const target = new URL(url);
      const client = target.protocol === 'https:' ? https : http;
      let timer: NodeJS.Timeout | undefined = undefined;
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const req = client.request(
        target,
        {
          method,
          agent: target.protocol === 'https:' ? agents['https:'] : agents['http:'],
          headers: body ? { ...headers, 'Content-Length': String(body.byteLength) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              contentType: res.headers['content-type'] ?? '',
              body: Buffer.concat(chunks),
              headers: res.headers,
            });
          });
        },
      );
      timer = setTimeout(() => req.destroy(new TimeoutError(`No answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', fail);
      req.end(body);
    });
}
