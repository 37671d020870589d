import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Migration, Store } from '../../store/store.js';
import { AUDIT_DOC } from './access.doc.js';
import { scoped } from './scopes.js';

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    component: 'audit',
    version: 1,
    name: 'create audit log',
    up: `CREATE TABLE IF NOT EXISTS panoramix_audit (
           id TEXT PRIMARY KEY,
           happened_at TIMESTAMPTZ NOT NULL,
           actor TEXT NOT NULL,
           action TEXT NOT NULL,
           target TEXT NOT NULL,
           detail TEXT,
           status INTEGER,
           finished_at TIMESTAMPTZ)`,
  },
];

/** One admin action: who (the token's name), what (the route and its target), when, and how it ended. */
export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  /** The route: `POST /v1/projections/:name/rebuild`. */
  readonly action: string;
  /** The path it was asked of: `/v1/projections/orders/rebuild`. */
  readonly target: string;
  /** The query and body it was given (the body cut at 2,000 characters). */
  readonly detail: unknown;
  /** The HTTP status it answered; null while running, or when the process stopped before answering. */
  readonly status: number | null;
  readonly finishedAt: string | null;
}

const DETAIL_CHARS = 2000;
let sequence = 0;

/** The audit log in the store: written before an admin action runs, completed when it has answered. */
export class AuditLog {
  constructor(private readonly store: Store) {}

  migrate(): Promise<void> {
    return this.store.migrate(AUDIT_MIGRATIONS);
  }

  async begin(
    actor: string,
    action: string,
    target: string,
    detail: unknown,
    at = new Date(),
  ): Promise<string> {
    // Time first, then this process's counter: ids sort as the actions began, even within a millisecond.
    const id = `${String(at.getTime()).padStart(13, '0')}-${String(sequence++).padStart(9, '0')}-${randomUUID().slice(0, 8)}`;
    let text = detail === undefined ? null : JSON.stringify(detail);
    if (text && text.length > DETAIL_CHARS) text = JSON.stringify({ truncated: text.slice(0, DETAIL_CHARS) });
    await this.store.exec(
      'INSERT INTO panoramix_audit (id, happened_at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, at, actor, action, target, text],
    );
    return id;
  }

  async finish(id: string, status: number, at = new Date()): Promise<void> {
    await this.store.exec('UPDATE panoramix_audit SET status = $1, finished_at = $2 WHERE id = $3', [
      status,
      at,
      id,
    ]);
  }

  /** Newest first, optionally of one actor or one action. */
  async list(f: { limit?: number; actor?: string; action?: string } = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const k of ['actor', 'action'] as const) {
      if (f[k] === undefined) continue;
      params.push(f[k]);
      where.push(`${k} = $${params.length}`);
    }
    params.push(Math.min(Math.max(f.limit ?? 100, 1), 10_000));
    const rows = await this.store.query(
      `SELECT * FROM panoramix_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY happened_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id as string,
      at: (r.happened_at as Date).toISOString(),
      actor: r.actor as string,
      action: r.action as string,
      target: r.target as string,
      detail: r.detail === null ? null : JSON.parse(r.detail as string),
      status: r.status === null ? null : Number(r.status),
      finishedAt: r.finished_at === null ? null : (r.finished_at as Date).toISOString(),
    }));
  }
}

const entryOf = new WeakMap<object, string>();

/**
 * Records every admin-scope request that got past its scope: a row before the handler runs (an action that
 * cannot be recorded is not done: the store's failure answers 500), its status as it answers. Also
 * serves the log at GET /v1/audit, to admin tokens.
 */
export function auditAdminActions(app: FastifyInstance, log: AuditLog): void {
  const begin = async (req: FastifyRequest) => {
    const body = (req.body as Buffer | undefined)?.toString('utf8');
    const query = req.query as Record<string, unknown>;
    const detail = {
      ...(Object.keys(query ?? {}).length ? { query } : {}),
      ...(body ? { body: bodyDetail(body) } : {}),
    };
    const id = await log.begin(
      req.principal.name,
      `${req.method} ${req.routeOptions.url}`,
      req.url.split('?')[0]!,
      Object.keys(detail).length ? detail : undefined,
    );
    entryOf.set(req, id);
  };
  // Before the answer is sent, so a client that has its answer finds the action's outcome in the log.
  const finish = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const id = entryOf.get(req);
    if (id) {
      entryOf.delete(req);
      await log
        .finish(id, reply.statusCode)
        .catch((err: unknown) => req.log.error({ err }, 'audit log: status'));
    }
    return payload;
  };
  // Hooks on the admin routes only (added as each is declared), so no other request pays for them.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    // Reading (GET /v1/audit, GET /v1/tokens) is not an action.
    if (route.config?.scope !== 'admin' || methods.every((m) => m === 'GET' || m === 'HEAD')) return;
    route.preHandler = [...[route.preHandler ?? []].flat(), begin];
    route.onSend = [...[route.onSend ?? []].flat(), finish];
  });
  app.get('/v1/audit', scoped('admin', AUDIT_DOC), async (req) => {
    const q = req.query as { limit?: string; actor?: string; action?: string };
    return {
      entries: await log.list({
        ...(q.limit ? { limit: Number(q.limit) || 100 } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
      }),
    };
  });
}

function bodyDetail(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, DETAIL_CHARS);
  }
}
