import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../contracts/errors';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Requires `Authorization: Bearer <apiKey>`. Both sides are hashed first so that timingSafeEqual compares
 * equal lengths and the time taken reveals neither the key's content nor its length.
 */
export function bearerAuth(apiKey: string): RequestHandler {
  const expected = digest(apiKey);
  return (req, _res, next) => {
    const match = /^Bearer +(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (match && timingSafeEqual(digest(match[1]!), expected)) return next();
    next(
      new HttpError(
        401,
        'UNAUTHORIZED',
        match
          ? 'The bearer token is not valid'
          : 'This route needs an Authorization: Bearer <API_KEY> header',
        undefined,
        { headers: { 'WWW-Authenticate': 'Bearer realm="llm-service"' } },
      ),
    );
  };
}
