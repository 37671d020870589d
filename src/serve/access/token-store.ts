import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Migration, Store } from '../../store/store.js';

export const TOKEN_MIGRATIONS: readonly Migration[] = [
  {
    component: 'tokens',
    version: 1,
    name: 'create tokens',
    up: `CREATE TABLE IF NOT EXISTS panoramix_tokens (
           id TEXT PRIMARY KEY,
           name TEXT NOT NULL,
           scope TEXT NOT NULL,
           digest TEXT NOT NULL,
           limits TEXT,
           created_at TIMESTAMPTZ NOT NULL,
           created_by TEXT NOT NULL,
           expires_at TIMESTAMPTZ,
           revoked_at TIMESTAMPTZ)`,
  },
];

/** What a created read token is limited to (the same four settings as server.readTokens[]). */
export interface TokenLimits {
  readonly sources?: readonly string[];
  readonly projections?: readonly string[];
  readonly queries?: readonly string[];
  readonly fixed?: Readonly<Record<string, string>>;
}

/** A token created through the CLI or the API, as listed: never its secret, which only its creator saw. */
export interface StoredToken {
  readonly id: string;
  readonly name: string;
  readonly scope: 'read' | 'admin';
  readonly limits: TokenLimits | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

/** A token not revoked, with its digest: what Credentials compares presented tokens with. */
export interface ActiveToken extends StoredToken {
  readonly digest: Buffer;
}

/**
 * Tokens created through `panoramix token create` or POST /v1/tokens, stored as their SHA-256 digest with a
 * name, a scope, optional read limits and an optional expiry; revoked by setting revoked_at.
 */
export class TokenStore {
  constructor(private readonly store: Store) {}

  migrate(): Promise<void> {
    return this.store.migrate(TOKEN_MIGRATIONS);
  }

  /** Creates a token; the answer holds the token itself, which is not kept anywhere. */
  async create(t: {
    name: string;
    scope: 'read' | 'admin';
    limits?: TokenLimits;
    expiresAt?: Date;
    by: string;
  }): Promise<{ token: string; record: StoredToken }> {
    const token = `${t.scope === 'admin' ? 'at' : 'rt'}_${randomBytes(24).toString('base64url')}`;
    const id = randomUUID();
    const now = new Date();
    await this.store.exec(
      `INSERT INTO panoramix_tokens (id, name, scope, digest, limits, created_at, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        id,
        t.name,
        t.scope,
        createHash('sha256').update(token).digest('hex'),
        t.limits ? JSON.stringify(t.limits) : null,
        now,
        t.by,
        t.expiresAt ?? null,
      ],
    );
    const record = (await this.list()).find((r) => r.id === id)!;
    return { token, record };
  }

  /** Every token, newest first, revoked ones included (with when). */
  async list(): Promise<StoredToken[]> {
    return (await this.rows('')).map(({ digest: _digest, ...rest }) => rest);
  }

  /** Tokens not revoked (expired ones too: Credentials checks the expiry at each request). */
  active(): Promise<ActiveToken[]> {
    return this.rows('WHERE revoked_at IS NULL');
  }

  /** Revokes a token; false when there is none of that id, or it was already revoked. */
  async revoke(id: string): Promise<boolean> {
    const before = await this.store.query(
      'SELECT id FROM panoramix_tokens WHERE id = $1 AND revoked_at IS NULL',
      [id],
    );
    if (before.length === 0) return false;
    await this.store.exec(
      'UPDATE panoramix_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [new Date(), id],
    );
    return true;
  }

  private async rows(where: string): Promise<ActiveToken[]> {
    const rows = await this.store.query(
      `SELECT * FROM panoramix_tokens ${where} ORDER BY created_at DESC, id`,
    );
    const iso = (v: unknown) => (v === null || v === undefined ? null : (v as Date).toISOString());
    return rows.map((r) => ({
      id: r.id as string,
      name: r.name as string,
      scope: r.scope as 'read' | 'admin',
      limits: r.limits === null ? null : (JSON.parse(r.limits as string) as TokenLimits),
      createdAt: iso(r.created_at)!,
      createdBy: r.created_by as string,
      expiresAt: iso(r.expires_at),
      revokedAt: iso(r.revoked_at),
      digest: Buffer.from(r.digest as string, 'hex'),
    }));
  }
}
