import path from 'node:path';
import type { LakeConfig, LakeType } from './config.js';
import type { WrittenPartition } from './writer.js';

const ATHENA: Record<LakeType, string> = {
  text: 'string',
  bigint: 'bigint',
  integer: 'int',
  double: 'double',
  decimal: 'decimal(38,10)',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
};

/** Athena's CREATE EXTERNAL TABLE for each lake table (for CSV: a raw all-string table plus a typed view). */
export function athenaDdl(
  lake: LakeConfig,
  location: (table: string) => string,
  tables = Object.keys(lake.tables),
): string {
  const out: string[] = [];
  for (const name of tables) {
    const t = lake.tables[name]!;
    const cols = Object.entries(t.fields).filter(([f]) => !t.partitions.includes(f));
    const parts = [...Object.keys(lake.partitions), ...t.partitions];
    const partitioned = parts.length
      ? `\nPARTITIONED BY (${parts.map((p) => `\`${p}\` string`).join(', ')})`
      : '';
    if (lake.format === 'parquet') {
      out.push(
        `CREATE EXTERNAL TABLE IF NOT EXISTS \`${name}\` (\n${cols.map(([f, ty]) => `  \`${f}\` ${ATHENA[ty]}`).join(',\n')}\n)${partitioned}\nSTORED AS PARQUET\nLOCATION '${location(name)}';`,
      );
    } else {
      out.push(
        `CREATE EXTERNAL TABLE IF NOT EXISTS \`${name}_raw\` (\n${cols.map(([f]) => `  \`${f}\` string`).join(',\n')}\n)${partitioned}\nROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\nSTORED AS TEXTFILE\nLOCATION '${location(name)}'\nTBLPROPERTIES ('skip.header.line.count' = '1');`,
        `CREATE OR REPLACE VIEW \`${name}\` AS SELECT ${[...cols.map(([f, ty]) => (ty === 'text' ? `\`${f}\`` : `TRY_CAST(\`${f}\` AS ${ATHENA[ty]}) AS \`${f}\``)), ...parts.map((p) => `\`${p}\``)].join(', ')} FROM \`${name}_raw\`;`,
      );
    }
  }
  return `${out.join('\n\n')}\n`;
}

/** ALTER TABLE … ADD IF NOT EXISTS PARTITION for partitions a run wrote. */
export function addPartitionsDdl(
  lake: LakeConfig,
  table: string,
  written: readonly WrittenPartition[],
  location: (uri: string) => string = (u) => u,
): string {
  const name = lake.format === 'csv' ? `${table}_raw` : table;
  return written
    .map((p) => {
      const spec = [...Object.entries(lake.partitions), ...Object.entries(p.values)].map(
        ([k, v]) => `\`${k}\` = '${String(v ?? '').replaceAll("'", "''")}'`,
      );
      return spec.length
        ? `ALTER TABLE \`${name}\` ADD IF NOT EXISTS PARTITION (${spec.join(', ')}) LOCATION '${location(p.location)}';`
        : '';
    })
    .filter(Boolean)
    .join('\n');
}

/** A DuckDB script with one view per table, so the lake can be queried locally at once. */
export function duckdbViews(lake: LakeConfig, baseDir: string): string {
  return `${Object.keys(lake.tables)
    .map((name) => {
      const root = path.resolve(baseDir, lake.target, lake.prefix, name);
      const reader =
        lake.format === 'parquet'
          ? `read_parquet('${root}/**/*.parquet', hive_partitioning = true)`
          : `read_csv('${root}/**/*.csv', hive_partitioning = true, header = true)`;
      return `CREATE OR REPLACE VIEW "${name}" AS SELECT * FROM ${reader};`;
    })
    .join('\n')}\n`;
}
