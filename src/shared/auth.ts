import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../contracts/errors';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface BearerAuthOptions {
  /** Named in the `WWW-Authenticate` challenge. */
  realm: string;
  /** The environment variable that holds the key, named in the error message. */
  variable: string;
}

/**
 * Requires `Authorization: Bearer <apiKey>`; otherwise 401 with a `WWW-Authenticate: Bearer` challenge. Both
 * sides are hashed first so that timingSafeEqual compares equal lengths and the time taken reveals neither the
 * key's content nor its length.
 */
export function bearerAuth(apiKey: string, { realm, variable }: BearerAuthOptions): RequestHandler {
  const expected = digest(apiKey);
  return (req, _res, next) => {
    const match = /^Bearer +(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (match && timingSafeEqual(digest(match[1]!), expected)) return next();
    next(
      match
        ? new UnauthorizedError('The bearer token is not valid', realm, true)
        : new UnauthorizedError(
            `This route needs an Authorization: Bearer <${variable}> header`,
            realm,
            false,
          ),
    );
  };
}

/** The header a client of one of our APIs sends when a key is configured (none when it is not). */
export function bearerHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
}
