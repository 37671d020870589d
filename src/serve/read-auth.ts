import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';

/**
 * A preHandler that admits a request carrying one of server.readTokens (Bearer, or ?token= for download
 * links). With no read tokens configured, reads are open (the runtime warned at start).
 */
export function requireReadToken(runtime: Runtime) {
  const digests = runtime.config.server.readTokens.map((t) => sha(t));
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (digests.length === 0) return;
    const header = req.headers.authorization;
    const fromHeader = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
    const fromQuery = (req.query as Record<string, unknown> | undefined)?.token;
    const token = fromHeader ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
    if (!token)
      return reply.code(401).send({ error: 'a read token is required (Authorization: Bearer TOKEN)' });
    const d = sha(token);
    if (!digests.some((x) => timingSafeEqual(x, d)))
      return reply.code(403).send({ error: 'the read token is not valid' });
  };
}

function sha(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
