import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { addPartitionsDdl, athenaDdl, duckdbViews } from '../../lake/ddl.js';
import { extractAndLoad } from '../../lake/extract-load.js';
import { openDatasource } from '../../lake/open-datasource.js';
import { setTables } from '../../lake/set-tables.js';
import { openTarget } from '../../lake/target.js';
import { createLogger } from '../logger.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

type Sel = { config: string; all?: boolean; datasource?: string; tables?: string; force?: boolean };

/** `panoramix lake …`: panorama-elt's commands over the `lake:` settings. */
export function lakeCommand(): Command {
  const cmd = new Command('lake').description(
    'extract tables and events into a Hive-partitioned datalake (panorama-elt)',
  );
  const select = (c: Command) =>
    c
      .option(...CONFIG_OPTION)
      .option('--all', 'every table (the default)')
      .option('--datasource <name>', 'only this datasource')
      .option('--tables <a,b,c>', 'only these tables');
  select(
    cmd
      .command('extract-and-load')
      .description('write the partitions that changed in the last interval (or all, with --force)'),
  )
    .option('--force', 'rewrite every partition, and remove partitions no longer in the sources')
    .action(async (o: Sel) =>
      withLake(o.config, async (runtime) => {
        const tty = process.stderr.isTTY;
        const summary = await extractAndLoad(runtime, {
          ...(o.tables ? { tables: o.tables.split(',') } : {}),
          ...(o.datasource ? { datasource: o.datasource } : {}),
          force: Boolean(o.force),
          onPartition: (table, p, done, total) => {
            if (!tty) return;
            const width = 30;
            const fill = Math.round((done / Math.max(total, 1)) * width);
            process.stderr.write(
              `\r${table} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${total} partitions, ${p.rows} rows in the last   `,
            );
          },
        });
        if (tty) process.stderr.write('\n');
        const lake = runtime.config.lake!;
        for (const t of summary.tables) {
          const ddl = addPartitionsDdl(lake, t.name, t.partitions);
          if (ddl) process.stderr.write(`${ddl}\n`);
        }
        process.stdout.write(
          `${JSON.stringify({ ...summary, tables: summary.tables.map((t) => ({ name: t.name, mode: t.mode, rows: t.rows, partitions: t.partitions.length })) })}\n`,
        );
      }),
    );
  select(
    cmd
      .command('create-tables')
      .description('print Athena CREATE EXTERNAL TABLE statements and write a DuckDB views script'),
  )
    .option('--duckdb <file>', 'where to write the DuckDB script', 'lake-views.sql')
    .action(async (o: Sel & { duckdb: string }) =>
      withLake(o.config, async (runtime) => {
        const lake = runtime.config.lake!;
        const target = await openTarget(lake, runtime.baseDir);
        process.stdout.write(
          athenaDdl(
            lake,
            (t) => `${target.uri(path.posix.join(lake.prefix, t))}/`,
            o.tables ? o.tables.split(',') : undefined,
          ),
        );
        fs.writeFileSync(o.duckdb, duckdbViews(lake, runtime.baseDir));
        process.stderr.write(`wrote ${o.duckdb}: open it with \`duckdb -init ${o.duckdb}\`\n`);
      }),
    );
  select(
    cmd.command('drop-tables').description('print Athena DROP TABLE statements for the lake tables'),
  ).action(async (o: Sel) =>
    withLake(o.config, async (runtime) => {
      const lake = runtime.config.lake!;
      for (const t of o.tables ? o.tables.split(',') : Object.keys(lake.tables)) {
        process.stdout.write(
          lake.format === 'csv'
            ? `DROP VIEW IF EXISTS \`${t}\`;\nDROP TABLE IF EXISTS \`${t}_raw\`;\n`
            : `DROP TABLE IF EXISTS \`${t}\`;\n`,
        );
      }
    }),
  );
  select(
    cmd
      .command('create-views')
      .description(
        'write a DuckDB script with one view per lake table (read_parquet with hive_partitioning)',
      ),
  )
    .option('--out <file>', 'where to write it (default: print)')
    .action(async (o: Sel & { out?: string }) =>
      withLake(o.config, async (runtime) => {
        const sql = duckdbViews(runtime.config.lake!, runtime.baseDir);
        if (o.out) fs.writeFileSync(o.out, sql);
        else process.stdout.write(sql);
      }),
    );
  for (const [verb, onlyFields, what] of [
    ['set-tables', false, 'add every table of a datasource to lake.tables, with its fields'],
    ['set-tables-fields', true, "set each lake table's fields from its source table's columns"],
  ] as const) {
    select(cmd.command(verb).description(`${what} (edits panoramix.yaml in place)`)).action(async (o: Sel) =>
      withLake(o.config, async (runtime) => {
        const lake = runtime.config.lake!;
        const dsName = o.datasource ?? Object.keys(lake.datasources)[0]!;
        const def = lake.datasources[dsName];
        if (!def) fail(`no datasource named ${dsName}`);
        const ds = await openDatasource(runtime, def);
        try {
          const changed = await setTables(o.config, dsName, ds, {
            onlyFields,
            ...(o.tables ? { tables: o.tables.split(',') } : {}),
          });
          process.stdout.write(`${o.config}: ${changed.length ? changed.join(', ') : 'nothing'} updated\n`);
        } finally {
          await ds.close();
        }
      }),
    );
  }
  cmd
    .command('test-connections')
    .description('connect to every datasource and say which answer')
    .option(...CONFIG_OPTION)
    .action(async (o: { config: string }) =>
      withLake(o.config, async (runtime) => {
        let bad = 0;
        for (const [name, def] of Object.entries(runtime.config.lake!.datasources)) {
          const ds = await openDatasource(runtime, def);
          try {
            await ds.ping();
            process.stdout.write(`${name}: ok\n`);
          } catch (err) {
            bad++;
            process.stdout.write(`${name}: FAILED ${(err as Error).message}\n`);
          } finally {
            await ds.close();
          }
        }
        if (bad) process.exitCode = 1;
      }),
    );
  return cmd;
}

async function withLake(
  config: string,
  fn: (runtime: Awaited<ReturnType<typeof openProject>>) => Promise<void>,
): Promise<void> {
  const runtime = await openProject(config, createLogger('warn'));
  try {
    if (!runtime.config.lake) fail(`${config} has no lake: section`);
    await fn(runtime);
  } catch (err) {
    fail((err as Error).message);
  } finally {
    await runtime.close();
  }
}
