import type { FastifyRequest } from 'fastify';
import { parseScope, type ScopeInput } from '../../forget/scope.js';
import { Forget } from '../../forget/service.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { DELETION_DOC, LIST_DELETIONS_DOC, REQUEST_DELETION_DOC } from './deletions.doc.js';

/**
 * POST /v1/deletions (an erasure request: 202 once it is durable, carried out in the background),
 * GET /v1/deletions/:id (its status, pending, running or done, with the counts removed per place) and
 * GET /v1/deletions (every request, newest first: the audit trail).
 */
const MAX_SUBJECTS = 5000;

export const deletionRoutes: RoutePlugin = (app, runtime) => {
  // All need the admin scope: a request removes data, and its status names the subject until it is done.
  app.post('/v1/deletions', scoped('admin', REQUEST_DELETION_DOC), async (req, reply) => {
    const body = jsonObject(req.body);
    if (!body)
      return reply.code(400).send({ error: 'the body must be a JSON object, such as {"subject":"u-42"}' });
    // Several subjects at once, as Segment's regulations send them: one request each, carried out together.
    if (body.subjects !== undefined) {
      const list = body.subjects;
      if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SUBJECTS)
        return reply.code(400).send({ error: `subjects must be a list of 1 to ${MAX_SUBJECTS} subjects` });
      if (body.subject !== undefined)
        return reply.code(400).send({ error: 'give subject or subjects, not both' });
      const scopes = [];
      for (const [i, subject] of list.entries()) {
        const scope = parseScope({ ...body, subject });
        if ('error' in scope) return reply.code(400).send({ error: `subjects[${i}]: ${scope.error}` });
        scopes.push(scope);
      }
      return reply.code(202).send({ deletions: await (await Forget.of(runtime)).request(scopes) });
    }
    const scope = parseScope(body);
    if ('error' in scope) return reply.code(400).send({ error: scope.error });
    const [d] = await (await Forget.of(runtime)).request([scope]);
    return reply.code(202).header('location', `/v1/deletions/${d!.id}`).send(d);
  });
  app.get('/v1/deletions', scoped('admin', LIST_DELETIONS_DOC), async (req, reply) => {
    const limit = Number((req.query as { limit?: string }).limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      return reply.code(400).send({ error: 'limit must be 1 to 10000' });
    return { deletions: await (await Forget.of(runtime)).ledger.list(limit) };
  });
  app.get(
    '/v1/deletions/:id',
    scoped('admin', DELETION_DOC),
    async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const d = await (await Forget.of(runtime)).ledger.get(req.params.id);
      if (!d) return reply.code(404).send({ error: `no deletion request ${req.params.id}` });
      return d;
    },
  );
};

// Bodies arrive as bytes (the app reads every body raw, for ingest).
function jsonObject(body: unknown): ScopeInput | undefined {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
  if (text === undefined) return body && typeof body === 'object' ? (body as ScopeInput) : undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as ScopeInput) : undefined;
  } catch {
    return undefined;
  }
}
