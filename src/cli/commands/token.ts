import os from 'node:os';
import { Command } from 'commander';
import { AuditLog } from '../../serve/access/audit.js';
import { hashToken } from '../../serve/access/credentials.js';
import { tokenSpec } from '../../serve/access/token-routes.js';
import { TokenStore } from '../../serve/access/token-store.js';
import { createLogger } from '../logger.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { CONFIG_OPTION, fail, openProject } from '../project.js';

type CreateOpts = {
  config: string;
  scope: string;
  name?: string;
  sources?: string;
  projections?: string;
  queries?: string;
  fixed?: string[];
  expires?: string;
};

/**
 * `panoramix token hash|create|list|revoke`: the sha256: form of a token for the configuration, and tokens
 * created in the store (hashed, with a name, a scope, limits and an expiry). Changes are in the audit log.
 */
export function tokenCommand(): Command {
  const token = new Command('token').description(
    'read, admin and metrics tokens: hash one, or create, list and revoke',
  );
  token
    .command('hash')
    .description('print the sha256:… form of a token, to put in server.readTokens or adminTokens')
    .argument('<token>', 'the token (at least 8 characters)')
    .action((value: string) => {
      if (value.length < 8) fail('a token must be at least 8 characters');
      process.stdout.write(`${hashToken(value)}\n`);
    });
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  token
    .command('create')
    .description('create a token in the store and print it (once; only its digest is kept)')
    .option(...CONFIG_OPTION)
    .requiredOption('--scope <scope>', 'read or admin')
    .option('--name <name>', 'what it is for (the audit log shows it); default: the scope and the date')
    .option('--sources <a,b>', 'a read token limited to the events and quarantine of these sources')
    .option('--projections <a,b>', 'a read token limited to these projections')
    .option('--queries <a,b>', 'a read token limited to these named queries')
    .option(
      '--fixed <column=value...>',
      'filter values the token always carries (a request cannot widen them)',
    )
    .option('--expires <duration>', 'when it stops working, e.g. 30d, 12h')
    .action(async (o: CreateOpts) => {
      const fixed = o.fixed?.map((kv) => {
        const at = kv.indexOf('=');
        if (at <= 0) fail(`--fixed takes column=value, not ${JSON.stringify(kv)}`);
        return [kv.slice(0, at), kv.slice(at + 1)] as const;
      });
      const spec = tokenSpec({
        name: o.name ?? `${o.scope} token of ${new Date().toISOString().slice(0, 10)}`,
        scope: o.scope,
        ...(o.sources ? { sources: list(o.sources) } : {}),
        ...(o.projections ? { projections: list(o.projections) } : {}),
        ...(o.queries ? { queries: list(o.queries) } : {}),
        ...(fixed ? { fixed: Object.fromEntries(fixed) } : {}),
        ...(o.expires ? { expires: o.expires } : {}),
      });
      if (typeof spec === 'string') fail(spec);
      await withTokens(o.config, async (tokens, audit, by) => {
        const { token: secret, record } = await tokens.create({ ...spec, by });
        await audit.finish(await audit.begin(by, 'panoramix token create', record.id, { ...spec }), 0);
        process.stdout.write(
          `${secret}\n(token ${record.id}, ${record.name}, scope ${record.scope}${record.expiresAt ? `, expires ${record.expiresAt}` : ''}; shown once)\n`,
        );
      });
    });
  token
    .command('list')
    .description('created tokens, newest first (never their secret)')
    .option(...CONFIG_OPTION)
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action(async (o: { config: string; format: string }) =>
      withTokens(o.config, async (tokens) => {
        const rows = (await tokens.list()).map((t) => ({
          id: t.id,
          name: t.name,
          scope: t.scope,
          limits: t.limits ? JSON.stringify(t.limits) : null,
          created_at: t.createdAt,
          created_by: t.createdBy,
          expires_at: t.expiresAt,
          revoked_at: t.revokedAt,
        }));
        const format = (
          OUTPUT_FORMATS.includes(o.format as OutputFormat) ? o.format : 'table'
        ) as OutputFormat;
        process.stdout.write(formatRows(rows, format));
      }),
    );
  token
    .command('revoke')
    .description('revoke a created token (a running server refuses it within a second)')
    .argument('<id>', 'the token id (panoramix token list)')
    .option(...CONFIG_OPTION)
    .action(async (id: string, o: { config: string }) =>
      withTokens(o.config, async (tokens, audit, by) => {
        if (!(await tokens.revoke(id))) fail(`no token ${id} to revoke (panoramix token list)`);
        await audit.finish(await audit.begin(by, 'panoramix token revoke', id, undefined), 0);
        process.stdout.write(`revoked ${id}\n`);
      }),
    );
  return token;
}

async function withTokens(
  config: string,
  fn: (tokens: TokenStore, audit: AuditLog, by: string) => Promise<void>,
): Promise<void> {
  const rt = await openProject(config, createLogger('warn'));
  try {
    const tokens = new TokenStore(rt.store);
    const audit = new AuditLog(rt.store);
    await tokens.migrate();
    await audit.migrate();
    // Who ran the CLI, as the audit log has it (the CLI holds the store, not a token).
    await fn(tokens, audit, `cli:${os.userInfo().username}`);
  } finally {
    await rt.close();
  }
}
