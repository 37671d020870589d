import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../core/time.js';
import { CREATE_TOKEN_DOC, LIST_TOKENS_DOC, REVOKE_TOKEN_DOC } from './access.doc.js';
import type { Credentials } from './credentials.js';
import { scoped } from './scopes.js';
import type { TokenLimits, TokenStore } from './token-store.js';

/** How often created tokens are read again: a revocation made elsewhere (the CLI, another process) holds within it. */
export const TOKEN_REFRESH_MS = 500;

/**
 * Created tokens: POST /v1/tokens (the token is in the answer, once), GET /v1/tokens, DELETE /v1/tokens/:id,
 * all admin. The credentials take the store's tokens at start, every TOKEN_REFRESH_MS and after each change
 * made here, so a revocation through this process holds at its next request.
 */
export async function tokenRoutes(
  app: FastifyInstance,
  credentials: Credentials,
  tokens: TokenStore,
): Promise<void> {
  await tokens.migrate();
  const refresh = async () => credentials.useStored(await tokens.active());
  await refresh();
  const timer = setInterval(() => {
    refresh().catch((err: unknown) =>
      app.log.warn({ err }, 'could not read the created tokens; keeping the last ones'),
    );
  }, TOKEN_REFRESH_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  app.post('/v1/tokens', scoped('admin', CREATE_TOKEN_DOC), async (req, reply) => {
    const spec = tokenSpec(req.body);
    if (typeof spec === 'string') return reply.code(400).send({ error: spec });
    const created = await tokens.create({ ...spec, by: req.principal.name });
    await refresh();
    return reply.code(201).send({ ...created.record, token: created.token });
  });
  app.get('/v1/tokens', scoped('admin', LIST_TOKENS_DOC), async () => ({ tokens: await tokens.list() }));
  app.delete<{ Params: { id: string } }>(
    '/v1/tokens/:id',
    scoped('admin', REVOKE_TOKEN_DOC),
    async (req, reply) => {
      const revoked = await tokens.revoke(req.params.id);
      await refresh();
      return revoked
        ? reply.code(204).send()
        : reply.code(404).send({ error: `no token ${req.params.id} to revoke` });
    },
  );
}

/** A token to create from a request body or CLI options: {name, scope, sources, projections, queries, fixed, expires}. */
export function tokenSpec(
  body: unknown,
): { name: string; scope: 'read' | 'admin'; limits?: TokenLimits; expiresAt?: Date } | string {
  let b: Record<string, unknown> = {};
  if (Buffer.isBuffer(body) && body.length) {
    try {
      b = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return 'the body must be JSON: {"name", "scope": "read"|"admin", "sources", "projections", "queries", "fixed", "expires": "30d"}';
    }
  } else if (body && typeof body === 'object' && !Buffer.isBuffer(body)) b = body as Record<string, unknown>;
  if (typeof b.name !== 'string' || !b.name)
    return 'name is required: what the token is for (the audit log shows it)';
  if (b.scope !== 'read' && b.scope !== 'admin') return 'scope must be read or admin';
  const limits: { -readonly [K in keyof TokenLimits]: TokenLimits[K] } = {};
  for (const k of ['sources', 'projections', 'queries'] as const) {
    if (b[k] === undefined) continue;
    if (!Array.isArray(b[k]) || !(b[k] as unknown[]).every((x) => typeof x === 'string'))
      return `${k} must be a list of names`;
    limits[k] = b[k] as string[];
  }
  if (b.fixed !== undefined) {
    if (!b.fixed || typeof b.fixed !== 'object' || Array.isArray(b.fixed))
      return 'fixed must be an object of column: value';
    limits.fixed = Object.fromEntries(Object.entries(b.fixed).map(([k, v]) => [k, String(v)]));
  }
  const limited = Object.keys(limits).length > 0;
  if (limited && b.scope === 'admin') return 'an admin token cannot be limited; limits are for read tokens';
  let expiresAt: Date | undefined;
  if (b.expires !== undefined) {
    const ms = typeof b.expires === 'string' ? parseDuration(b.expires) : Number.NaN;
    if (!(ms > 0))
      return `expires must be a duration such as 30d, 12h or 90s, not ${JSON.stringify(b.expires)}`;
    expiresAt = new Date(Date.now() + ms);
  }
  return {
    name: b.name,
    scope: b.scope,
    ...(limited ? { limits } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
}
