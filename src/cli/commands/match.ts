import { readFile } from 'node:fs/promises';
import { Argument, Command, Option } from 'commander';
import { STATUSES } from '../../match/queries.js';
import { SIDES, type Side } from '../../match/transaction.js';
import type { Row } from '../../store/store.js';
import { wholeNumber } from '../arguments.js';
import { formatRows } from '../output.js';
import { CONFIG_OPTION, fail } from '../project.js';
import { printTotals, withMatching } from '../with-matching.js';
import { demoCommands } from './match-demo.js';

type Format = 'table' | 'json' | 'ndjson' | 'csv';
const FORMAT_OPTION = ['-f, --format <format>', 'table, json, ndjson or csv', 'table'] as const;

/** `panoramix match …`: payment/loyalty transaction matching from the command line (store directly). */
export function matchCommand(): Command {
  const cmd = new Command('match').description(
    'transaction matching: reference data, imports, matching, exports, and what needs a person',
  );
  for (const kind of ['provider', 'scheme'] as const) {
    const sub = cmd
      .command(kind)
      .description(`${kind === 'provider' ? 'payment providers' : 'loyalty schemes'}`);
    sub
      .command('add')
      .description(`add (or rename) a ${kind}`)
      .argument('<slug>')
      .option('--name <name>', 'display name')
      .option(...CONFIG_OPTION)
      .action(async (slug: string, o: { name?: string; config: string }) =>
        withMatching(o.config, async (m) => {
          await m.reference.addOwner(kind, slug, o.name);
          process.stdout.write(`${kind} ${slug} added\n`);
        }),
      );
    sub
      .command('list')
      .description(`list ${kind}s`)
      .option(...CONFIG_OPTION)
      .option(...FORMAT_OPTION)
      .action(async (o: { config: string; format: Format }) =>
        withMatching(o.config, async (m) => {
          process.stdout.write(formatRows(await m.reference.owners(kind), o.format));
        }),
      );
  }
  const merchants = cmd
    .command('merchants')
    .description('merchant identifiers (identifier, id_type, provider → scheme)');
  merchants
    .command('add')
    .description('bulk upload from CSV with the columns identifier, id_type, provider, scheme, location')
    .argument('<file>', 'CSV file')
    .option(...CONFIG_OPTION)
    .action(async (file: string, o: { config: string }) =>
      withMatching(o.config, async (m) => {
        const n = await m.reference.addMerchantsCsv(await readFile(file, 'utf8'));
        process.stdout.write(`${n} merchant identifier(s) added or updated\n`);
      }),
    );
  merchants
    .command('list')
    .option('--provider <slug>')
    .option('--scheme <slug>')
    .option('-l, --limit <n>', 'at most this many', wholeNumber, 100)
    .option(...CONFIG_OPTION)
    .option(...FORMAT_OPTION)
    .action(
      async (o: { provider?: string; scheme?: string; limit: number; config: string; format: Format }) =>
        withMatching(o.config, async (m) => {
          const rows = await m.reference.merchants({
            ...(o.provider ? { provider: o.provider } : {}),
            ...(o.scheme ? { scheme: o.scheme } : {}),
            limit: o.limit,
          });
          process.stdout.write(formatRows(rows as unknown as Row[], o.format));
        }),
    );
  cmd
    .command('import')
    .description(
      'import transaction files (CSV, JSON or NDJSON) of one provider or scheme; a file imported before is skipped',
    )
    .argument('<side>', 'payment or scheme')
    .argument('<owner>', 'the provider or scheme slug')
    .argument('<files...>')
    .option(...CONFIG_OPTION)
    .action(async (side: string, owner: string, files: string[], o: { config: string }) =>
      withMatching(o.config, async (m) => {
        if (!(SIDES as readonly string[]).includes(side)) fail(`side must be payment or scheme, not ${side}`);
        let bad = 0;
        for (const file of files) {
          const r = await m.importer.importFile(side as Side, owner, file);
          if (r.alreadyImportedAs) {
            process.stdout.write(
              `${file}: already imported as match group ${r.alreadyImportedAs}; nothing done\n`,
            );
            continue;
          }
          process.stdout.write(
            `${file}: match group ${r.matchGroup}: ${r.accepted} new, ${r.duplicates} already stored, ${r.rejected.length} rejected\n`,
          );
          for (const x of r.rejected.slice(0, 20))
            process.stderr.write(
              `  line ${x.line ?? x.index + 1}${x.field ? ` (${x.field})` : ''}: ${x.error}\n`,
            );
          if (r.rejected.length > 20)
            process.stderr.write(`  … and ${r.rejected.length - 20} more (see the quarantine)\n`);
          if (r.error) fail(r.error);
          bad += r.rejected.length;
        }
        if (bad) process.exitCode = 2;
      }),
    );
  cmd
    .command('run')
    .description(
      'fold imported transactions, match what is pending, export the matches (what the services do)',
    )
    .option(...CONFIG_OPTION)
    .action(async (o: { config: string }) =>
      withMatching(
        o.config,
        async (m) => {
          const r = await m.runOnce();
          process.stdout.write(
            `folded ${r.folded} transaction(s), matched ${r.matched}, exported ${r.exported}\n`,
          );
          printTotals(await m.queries.totals());
        },
        { broker: true },
      ),
    );
  cmd
    .command('status')
    .description('transactions by scheme, day and status')
    .option('--scheme <slug>')
    .option('--from <date>', 'first day (YYYY-MM-DD)')
    .option('--to <date>', 'last day (YYYY-MM-DD)')
    .option(...CONFIG_OPTION)
    .option(...FORMAT_OPTION)
    .action(async (o: { scheme?: string; from?: string; to?: string; config: string; format: Format }) =>
      withMatching(o.config, async (m) => {
        process.stdout.write(formatRows(await m.queries.counts(o), o.format));
        const x = await m.exporter.counts();
        process.stderr.write(
          `exports: ${
            Object.entries(x)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ') || 'none'
          }\n`,
        );
      }),
    );
  cmd
    .command('list')
    .description('transactions by status, with the best candidates of payments')
    .addOption(new Option('--side <side>', 'payment or scheme').choices(SIDES).default('payment'))
    .addOption(new Option('--status <status>', 'what to list').choices(STATUSES).default('ambiguous'))
    .option('--scheme <slug>')
    .option('-l, --limit <n>', 'at most this many', wholeNumber, 20)
    .option(...CONFIG_OPTION)
    .option(...FORMAT_OPTION)
    .action(
      async (o: {
        side: Side;
        status: string;
        scheme?: string;
        limit: number;
        config: string;
        format: Format;
      }) =>
        withMatching(o.config, async (m) => {
          const { total, transactions } = await m.queries.list({
            side: o.side,
            status: o.status,
            ...(o.scheme ? { scheme: o.scheme } : {}),
            limit: o.limit,
          });
          const cands =
            o.side === 'payment'
              ? await m.queries.candidates(
                  transactions.map((t) => Number(t.id)),
                  3,
                )
              : new Map();
          const rows = transactions.map((t) => ({
            id: t.id,
            transaction_id: t.transaction_id,
            scheme: t.scheme,
            merchant: t.merchant_id ?? null,
            time: t.time,
            amount: t.amount,
            status: t.status,
            ...(o.side === 'payment'
              ? { candidates: (cands.get(Number(t.id)) ?? []).map((c: { id: unknown }) => c.id).join(' ') }
              : {}),
          }));
          process.stdout.write(formatRows(rows as Row[], o.format));
          process.stderr.write(`${total} ${o.side} transaction(s) ${o.status}\n`);
        }),
    );
  cmd
    .command('show')
    .description(
      'one transaction: its fields, raw record, and its match with the rules that decided it (or its candidates)',
    )
    .addArgument(new Argument('<side>', 'payment or scheme').choices(SIDES))
    .argument('<id>', 'transaction id (as listed)', wholeNumber)
    .option(...CONFIG_OPTION)
    .action(async (side: Side, id: number, o: { config: string }) =>
      withMatching(o.config, async (m) => {
        const t = await m.queries.transaction(side, id);
        if (!t) fail(`no ${side} transaction ${id}`);
        process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
      }),
    );
  cmd
    .command('rematch')
    .description('put payment transactions (ambiguous, unmatched…) back to pending and match again')
    .argument('<ids...>')
    .option(...CONFIG_OPTION)
    .action(async (ids: string[], o: { config: string }) =>
      withMatching(o.config, async (m) => {
        const n = await m.matcher.rematch(ids.map(Number));
        const r = await m.matcher.pass();
        process.stdout.write(
          `${n} put back to pending; the pass matched ${r.matched}, ${r.ambiguous} ambiguous\n`,
        );
      }),
    );
  cmd
    .command('force')
    .description('force-match a payment transaction, with a scheme transaction or alone (recorded as forced)')
    .argument('<paymentId>', 'payment transaction id (as listed)', wholeNumber)
    .argument('[schemeTransactionId]', 'scheme transaction id (none: the payment alone)', wholeNumber)
    .requiredOption('--by <name>', 'who decided (recorded with the match)')
    .option(...CONFIG_OPTION)
    .action(async (paymentId: number, schemeId: number | undefined, o: { by: string; config: string }) =>
      withMatching(o.config, async (m) => {
        const id = await m.matcher.forceMatch(paymentId, schemeId ?? null, o.by);
        process.stdout.write(
          `matched transaction ${id} (forced by ${o.by}); it is exported with the next run\n`,
        );
      }),
    );
  const exportsCmd = cmd.command('exports').description('the export outbox');
  exportsCmd
    .command('list')
    .addOption(
      new Option('--status <status>', 'which exports').choices(['PENDING', 'EXPORTED', 'EXPORT_FAILED']),
    )
    .option(...CONFIG_OPTION)
    .option(...FORMAT_OPTION)
    .action(async (o: { status?: string; config: string; format: Format }) =>
      withMatching(o.config, async (m) => {
        process.stdout.write(formatRows((await m.queries.exports(o.status)).exports, o.format));
      }),
    );
  exportsCmd
    .command('retry')
    .description('put failed exports (these match ids, or all) back to pending with fresh tries')
    .argument('[ids...]')
    .option(...CONFIG_OPTION)
    .action(async (ids: string[], o: { config: string }) =>
      withMatching(o.config, async (m) => {
        process.stdout.write(`${await m.exporter.retry(ids.map(Number))} export(s) will be tried again\n`);
      }),
    );
  demoCommands(cmd);
  return cmd;
}
