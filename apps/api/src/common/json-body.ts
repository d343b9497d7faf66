import type { FastifyBodyParser, FastifyRequest } from 'fastify';
import { AppException } from './app.exception.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Fastify's own JSON parsing (prototype-poisoning safe) around three rules of ours: the raw bytes
 * are kept (signed requests such as secret-scanning reports are verified over exactly what was
 * sent), a body nested too deep is refused before parsing, and a refusal says what is wrong in
 * the API's own error format.
 */
export function jsonBodyParser(
  parseJson: FastifyBodyParser<string>,
): (request: FastifyRequest, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    (request as FastifyRequest & { rawBody?: Buffer }).rawBody = body;
    const text = body.toString('utf8');
    // Some client wrappers send the JSON content type with no body: read as no body at all, so a
    // route that needs one says which fields are missing.
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (exceedsJsonDepth(text)) {
      done(
        new AppException(
          400,
          'bad_request',
          `Request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
        ),
      );
      return;
    }
    void parseJson(request, text, (error, parsed: unknown) => {
      done(error ? refusedJson(text) : null, parsed);
    });
  };
}

/** Fastify says "not valid JSON" either way; a body that is JSON was refused for its keys. */
function refusedJson(text: string): AppException {
  try {
    JSON.parse(text);
  } catch {
    return new AppException(400, 'bad_request', 'Request body is not valid JSON');
  }
  return new AppException(
    400,
    'bad_request',
    'Request body may not hold a "__proto__" or "constructor": { "prototype" } key',
  );
}
