import { createHash, timingSafeEqual } from 'node:crypto';
import type { ReadTokenConfig } from '../../config/access.js';
import { isHashed } from '../../config/access.js';
import type { Config } from '../../config/schema.js';
import type { ReadLimits } from './limits.js';
import type { ActiveToken, TokenLimits } from './token-store.js';

/** Who a request's token says it is, for the routes that take tokens (ingest takes write keys instead). */
export type Principal =
  | { readonly kind: 'admin'; readonly name: string }
  | { readonly kind: 'read'; readonly name: string; readonly limits?: ReadLimits }
  | { readonly kind: 'metrics'; readonly name: string }
  /** No token, on a route its scope leaves open. */
  | { readonly kind: 'anonymous'; readonly name: 'anonymous' };

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
  /** Epoch ms after which a created token no longer admits (configured tokens do not expire). */
  readonly expiresAt?: number;
}

/**
 * The tokens of server.readTokens, server.adminTokens and server.metricsToken, held as SHA-256 digests
 * (a configured `sha256:…` token is already one). A presented token is hashed and compared with every
 * entry in constant time, so neither a lookup's time nor an early exit says how close a guess came.
 */
export class Credentials {
  private readonly entries: Entry[] = [];
  /** Tokens created through the CLI or the API (TokenStore), replaced whole at each refresh. */
  private stored: Entry[] = [];
  private readonly configuredReads: boolean;
  private readonly configuredAdmins: boolean;
  readonly metricsOpen: boolean;

  constructor(server: Config['server']) {
    for (const t of server.adminTokens)
      this.add(t.token, (n) => ({ kind: 'admin', name: t.name ?? `admin:${n}` }));
    for (const t of server.readTokens) {
      const limits = limitsFrom(t);
      this.add(t.token, (n) => ({
        kind: 'read',
        name: t.name ?? `read:${n}`,
        ...(limits ? { limits } : {}),
      }));
    }
    if (server.metricsToken) this.add(server.metricsToken, () => ({ kind: 'metrics', name: 'metrics' }));
    this.configuredReads = server.readTokens.length > 0;
    this.configuredAdmins = server.adminTokens.length > 0;
    this.metricsOpen = server.metricsToken === undefined;
  }

  /** Reads need a token once a read token is configured or created (as before admin tokens existed). */
  get readsOpen(): boolean {
    return !this.configuredReads && !this.stored.some((e) => e.principal.kind === 'read');
  }

  /** Changes are open only in a project with no token at all (a local sandbox; the runtime warns). */
  get adminOpen(): boolean {
    return !this.configuredReads && !this.configuredAdmins && this.stored.length === 0;
  }

  /** Takes the created tokens that are not revoked (the app refreshes them every second and after changes). */
  useStored(tokens: readonly ActiveToken[]): void {
    this.stored = tokens.map((t) => {
      const limits = t.scope === 'read' && t.limits ? limitsFrom(t.limits) : undefined;
      const principal: Principal =
        t.scope === 'admin'
          ? { kind: 'admin', name: t.name }
          : { kind: 'read', name: t.name, ...(limits ? { limits } : {}) };
      return { digest: t.digest, principal, ...(t.expiresAt ? { expiresAt: Date.parse(t.expiresAt) } : {}) };
    });
  }

  /** The principal of `Authorization: Bearer TOKEN`; anonymous without one; undefined for an unknown token. */
  identify(authorization: string | undefined): Principal | undefined {
    const token = bearer(authorization);
    if (token === undefined) return ANONYMOUS;
    const d = sha256(token);
    const now = Date.now();
    let found: Principal | undefined;
    for (const e of [...this.entries, ...this.stored]) {
      // An expired token is as unknown as a wrong one, checked at every request: expiry is exact.
      if (timingSafeEqual(e.digest, d) && !found && (e.expiresAt === undefined || now < e.expiresAt))
        found = e.principal;
    }
    return found;
  }

  private add(token: string, principal: (shortDigest: string) => Principal): void {
    const digest = isHashed(token) ? Buffer.from(token.slice(7), 'hex') : sha256(token);
    // The digest's first 8 hex digits name an unnamed token in the audit log: stable, and no secret.
    this.entries.push({ digest, principal: principal(digest.toString('hex').slice(0, 8)) });
  }
}

/** A read token's limits, when it has any (a token with none of the four settings reads everything). */
function limitsFrom(t: ReadTokenConfig | TokenLimits): ReadLimits | undefined {
  if (!t.sources && !t.projections && !t.queries && !t.fixed) return undefined;
  return {
    sources: new Set(t.sources ?? []),
    projections: new Set(t.projections ?? []),
    queries: new Set(t.queries ?? []),
    fixed: Object.fromEntries(Object.entries(t.fixed ?? {}).map(([k, v]) => [k, String(v)])),
  };
}

export const ANONYMOUS: Principal = { kind: 'anonymous', name: 'anonymous' };

/** The digest a configuration may hold instead of the token: `sha256:<hex>`. */
export function hashToken(token: string): string {
  return `sha256:${sha256(token).toString('hex')}`;
}

function bearer(header: string | undefined): string | undefined {
  if (!header?.toLowerCase().startsWith('bearer ')) return undefined;
  return header.slice(7).trim() || undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
