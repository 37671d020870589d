import { parse } from 'csv-parse/sync';
import { Params } from '../store/sql-params.js';
import type { SqlClient } from '../store/store.js';
import { MatchingError } from './errors.js';

export const ID_TYPES = ['primary', 'secondary', 'psimi'] as const;
const SLUG = /^[a-z0-9][a-z0-9_-]*$/;

export interface MerchantIdentifier {
  readonly identifier: string;
  readonly id_type: string;
  readonly provider: string;
  readonly scheme: string;
  readonly location: string | null;
}

/** Payment providers, loyalty schemes and merchant identifiers: the reference data matching reads. */
export class ReferenceData {
  constructor(private readonly db: SqlClient) {}

  async addOwner(kind: 'provider' | 'scheme', slug: string, name?: string): Promise<void> {
    if (!SLUG.test(slug))
      throw new MatchingError(`"${slug}" is not a slug (lower-case letters, digits, _ and -)`);
    await this.db.exec(
      `INSERT INTO ${table(kind)} (slug, name, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (slug) DO UPDATE SET name = excluded.name`,
      [slug, name ?? slug, new Date()],
    );
  }

  async owners(kind: 'provider' | 'scheme'): Promise<{ slug: string; name: string }[]> {
    return (await this.db.query(`SELECT slug, name FROM ${table(kind)} ORDER BY slug`)) as {
      slug: string;
      name: string;
    }[];
  }

  async removeOwner(kind: 'provider' | 'scheme', slug: string): Promise<boolean> {
    const used = await this.db.query(
      `SELECT count(*) AS n FROM match_merchants WHERE ${kind === 'provider' ? 'provider' : 'scheme'} = $1`,
      [slug],
    );
    if (Number(used[0]?.n) > 0)
      throw new MatchingError(`${kind} ${slug} still has merchant identifiers; remove them first`, 409);
    const gone = await this.db.query(`DELETE FROM ${table(kind)} WHERE slug = $1 RETURNING slug`, [slug]);
    return gone.length > 0;
  }

  /** Adds merchant identifiers, all or none: an unknown provider or scheme refuses the batch, naming the row. */
  async addMerchants(
    rows: readonly Partial<MerchantIdentifier>[],
    rowLabel = (i: number) => `row ${i + 1}`,
  ): Promise<number> {
    const providers = new Set((await this.owners('provider')).map((o) => o.slug));
    const schemes = new Set((await this.owners('scheme')).map((o) => o.slug));
    const clean: MerchantIdentifier[] = rows.map((r, i) => {
      const where = rowLabel(i);
      const identifier = String(r.identifier ?? '').trim();
      if (!identifier) throw new MatchingError(`${where}: identifier is required`);
      const idType = String(r.id_type ?? 'primary')
        .trim()
        .toLowerCase();
      if (!(ID_TYPES as readonly string[]).includes(idType))
        throw new MatchingError(`${where}: id_type "${idType}" is not one of ${ID_TYPES.join(', ')}`);
      const provider = String(r.provider ?? '').trim();
      if (!providers.has(provider))
        throw new MatchingError(`${where}: provider "${provider}" is not a payment provider (add it first)`);
      const scheme = String(r.scheme ?? '').trim();
      if (!schemes.has(scheme))
        throw new MatchingError(`${where}: scheme "${scheme}" is not a loyalty scheme (add it first)`);
      const location =
        r.location === undefined || r.location === null || r.location === '' ? null : String(r.location);
      return { identifier, id_type: idType, provider, scheme, location };
    });
    if (clean.length === 0) return 0;
    const now = new Date();
    // Bound parameters, a few hundred rows per statement.
    for (let i = 0; i < clean.length; i += 500) {
      const chunk = clean.slice(i, i + 500);
      const p = new Params();
      const values = chunk.map(
        (m) => `(${p.list([m.identifier, m.id_type, m.provider, m.scheme, m.location, now])})`,
      );
      await this.db.exec(
        `INSERT INTO match_merchants (identifier, id_type, provider, scheme, location, created_at)
         VALUES ${values.join(', ')}
         ON CONFLICT (identifier, id_type, provider) DO UPDATE SET scheme = excluded.scheme, location = excluded.location`,
        p.values,
      );
    }
    return clean.length;
  }

  /** Bulk upload from CSV with a header: identifier, id_type, provider, scheme, location. */
  async addMerchantsCsv(csv: string): Promise<number> {
    let records: Record<string, string>[];
    try {
      records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true });
    } catch (err) {
      throw new MatchingError(`the CSV could not be read: ${(err as Error).message}`);
    }
    // Line numbers as a spreadsheet shows them: the header is line 1.
    return this.addMerchants(records, (i) => `line ${i + 2}`);
  }

  async merchants(
    filter: { provider?: string; scheme?: string; limit?: number } = {},
  ): Promise<MerchantIdentifier[]> {
    const where: string[] = [];
    const p = new Params();
    if (filter.provider) where.push(`provider = ${p.add(filter.provider)}`);
    if (filter.scheme) where.push(`scheme = ${p.add(filter.scheme)}`);
    return (await this.db.query(
      `SELECT identifier, id_type, provider, scheme, location FROM match_merchants
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY provider, identifier, id_type LIMIT ${p.add(Math.trunc(filter.limit ?? 1000))}`,
      p.values,
    )) as unknown as MerchantIdentifier[];
  }

  async removeMerchant(identifier: string, idType: string, provider: string): Promise<boolean> {
    const gone = await this.db.query(
      'DELETE FROM match_merchants WHERE identifier = $1 AND id_type = $2 AND provider = $3 RETURNING identifier',
      [identifier, idType, provider],
    );
    return gone.length > 0;
  }
}

function table(kind: 'provider' | 'scheme'): string {
  return kind === 'provider' ? 'match_providers' : 'match_schemes';
}
