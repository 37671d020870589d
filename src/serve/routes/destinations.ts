import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotPossible, UnknownDestination } from '../../destinations/admin.js';
import { replayFromOf } from '../../destinations/replay-from.js';
import { destinationsOf } from '../../destinations/service.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { DEAD_LETTERS_DOC, DESTINATIONS_DOC, PAUSE_DOC, REPLAY_DOC, RESUME_DOC } from './destinations.doc.js';

type Named = FastifyRequest<{ Params: { name: string } }>;

/**
 * GET /v1/destinations[/NAME/dead-letters], POST /v1/destinations/NAME/pause|resume|replay. A change made here
 * wakes this process's loop; a loop in another process (the batch leader) sees it at its next look.
 */
export const destinationRoutes: RoutePlugin = (app, runtime) => {
  if (Object.keys(runtime.config.destinations).length === 0) return;
  // Pausing, resuming and replaying change what is delivered: the admin scope's.
  const admin = async () => (await destinationsOf(runtime))!;

  app.get('/v1/destinations', scoped('read', DESTINATIONS_DOC), async () => ({
    destinations: await (await admin()).admin.list(),
  }));
  app.get('/v1/destinations/:name/dead-letters', scoped('read', DEAD_LETTERS_DOC), (req: Named, reply) =>
    answer(reply, async () => {
      const limit = Number((req.query as { limit?: string }).limit ?? 100);
      if (!Number.isInteger(limit) || limit < 1)
        return reply.code(400).send({ error: 'limit must be 1 or more' });
      return { deadLetters: await (await admin()).admin.deadLetters(req.params.name, limit) };
    }),
  );
  app.post('/v1/destinations/:name/pause', scoped('admin', PAUSE_DOC), (req: Named, reply) =>
    answer(reply, async () => {
      const d = await admin();
      const reason = bodyOf(req).reason;
      const state = await d.admin.pause(req.params.name, typeof reason === 'string' ? reason : undefined);
      d.wake(req.params.name);
      return state;
    }),
  );
  app.post('/v1/destinations/:name/resume', scoped('admin', RESUME_DOC), (req: Named, reply) =>
    answer(reply, async () => {
      const d = await admin();
      const state = await d.admin.resume(req.params.name);
      d.wake(req.params.name);
      return state;
    }),
  );
  app.post('/v1/destinations/:name/replay', scoped('admin', REPLAY_DOC), (req: Named, reply) =>
    answer(reply, async () => {
      const options = { ...(req.query as Record<string, unknown>), ...bodyOf(req) };
      if (options.deadLetters === true || options.deadLetters === 'true') {
        const d = await admin();
        const replay = await d.admin.replayDeadLetters(req.params.name);
        d.wake(req.params.name);
        return replay;
      }
      const from = replayFromOf(options);
      if (typeof from === 'string') return reply.code(400).send({ error: from });
      const d = await admin();
      const replay = await d.admin.replay(req.params.name, from);
      d.wake(req.params.name);
      return replay;
    }),
  );
};

async function answer(reply: FastifyReply, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnknownDestination) return reply.code(404).send({ error: err.message });
    if (err instanceof NotPossible) return reply.code(409).send({ error: err.message });
    if (err instanceof BadBody) return reply.code(400).send({ error: err.message });
    throw err;
  }
}

function bodyOf(req: FastifyRequest): Record<string, unknown> {
  const raw = (req.body as Buffer | undefined)?.toString('utf8').trim();
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // said below
  }
  throw new BadBody('the body must be a JSON object');
}

class BadBody extends Error {}
