import type { Migration, SqlClient } from '../store/store.js';
import type { OutputColumn } from './plan.js';

/** The projections' own schema: one row per version of each projection. */
export const PROJECTION_MIGRATIONS: readonly Migration[] = [
  {
    component: 'projections',
    version: 1,
    name: 'create projection registry',
    up: `CREATE TABLE IF NOT EXISTS panoramix_projections (
           name TEXT NOT NULL,
           version TEXT NOT NULL,
           status TEXT NOT NULL,
           watermark BIGINT NOT NULL,
           speed_seq BIGINT NOT NULL,
           built_at TIMESTAMPTZ,
           build_ms BIGINT,
           merged_sql TEXT NOT NULL,
           columns TEXT NOT NULL,
           tables TEXT NOT NULL,
           PRIMARY KEY (name, version))`,
  },
];

/** One version of a projection as the registry records it. */
export interface VersionRow {
  readonly name: string;
  readonly version: string;
  readonly status: 'building' | 'active' | 'retired';
  readonly watermark: number;
  readonly speedSeq: number;
  readonly builtAt: Date | null;
  readonly buildMs: number | null;
  /** The merged read of this version, kept so an old version can serve while a new one builds. */
  readonly mergedSql: string;
  readonly columns: OutputColumn[];
  /** Every table of this version (quoted), for dropping it when retired. */
  readonly tables: string[];
}

export async function activeVersion(db: SqlClient, name: string): Promise<VersionRow | undefined> {
  const rows = await db.query("SELECT * FROM panoramix_projections WHERE name = $1 AND status = 'active'", [
    name,
  ]);
  return rows[0] ? toVersionRow(rows[0]) : undefined;
}

export async function allVersions(db: SqlClient): Promise<VersionRow[]> {
  return (await db.query('SELECT * FROM panoramix_projections ORDER BY name, built_at')).map(toVersionRow);
}

export function toVersionRow(r: Record<string, unknown>): VersionRow {
  return {
    name: r.name as string,
    version: r.version as string,
    status: r.status as VersionRow['status'],
    watermark: Number(r.watermark),
    speedSeq: Number(r.speed_seq),
    builtAt: (r.built_at as Date | null) ?? null,
    buildMs: r.build_ms === null ? null : Number(r.build_ms),
    mergedSql: r.merged_sql as string,
    columns: JSON.parse(r.columns as string) as OutputColumn[],
    tables: JSON.parse(r.tables as string) as string[],
  };
}
