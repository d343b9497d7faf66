import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths that belong to the API: never answered with the SPA's index.html. */
const API_PATH = /^\/(api|v1|metrics)(\/|$)/;

/**
 * Serves the built console from the API's own port: hashed assets with long caching, and
 * index.html for every other GET that is not an API path, so client-side routes survive a reload.
 * Returns false when no build exists (the API still runs; the console is simply absent).
 */
export async function serveSpa(fastify: FastifyInstance, distDir: string): Promise<boolean> {
  const indexPath = join(distDir, 'index.html');
  if (!existsSync(indexPath)) return false;
  const indexHtml = readFileSync(indexPath);
  await fastify.register(fastifyStatic, {
    root: distDir,
    prefix: '/',
    wildcard: false,
    index: false,
    setHeaders: (reply, path) => {
      const cache = path.includes(join(distDir, 'assets'))
        ? 'public, max-age=31536000, immutable'
        : 'no-cache';
      void reply.header('Cache-Control', cache);
    },
  });
  const sendIndex = (_request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    reply.header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml);
  fastify.get('/', sendIndex);
  fastify.get('/*', (request, reply) => {
    // The API's own not-found answer, in the error shape of the API the path belongs to.
    if (API_PATH.test(request.url)) {
      reply.callNotFound();
      return reply;
    }
    return sendIndex(request, reply);
  });
  return true;
}
