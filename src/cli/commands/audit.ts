import { Command } from 'commander';
import { AuditLog } from '../../serve/access/audit.js';
import { wholeNumber } from '../arguments.js';
import { createLogger } from '../logger.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { CONFIG_OPTION, openProject } from '../project.js';

/** `panoramix audit list`: the admin actions taken over HTTP (who, what, when, how it ended), newest first. */
export function auditCommand(): Command {
  const cmd = new Command('audit').description('read the audit log of admin actions (on the store directly)');
  cmd
    .command('list')
    .description('admin actions, newest first: who, what, when and the status they answered')
    .option(...CONFIG_OPTION)
    .option('--actor <name>', "only this token's actions (its name)")
    .option('--action <route>', 'only this route, e.g. "POST /v1/quarantine/discard"')
    .option('-l, --limit <n>', 'at most this many', wholeNumber, 100)
    .option('-f, --format <format>', `output: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .action(async (o: { config: string; actor?: string; action?: string; limit: number; format: string }) => {
      const rt = await openProject(o.config, createLogger('warn'));
      try {
        const log = new AuditLog(rt.store);
        await log.migrate();
        const entries = await log.list({
          limit: o.limit,
          ...(o.actor ? { actor: o.actor } : {}),
          ...(o.action ? { action: o.action } : {}),
        });
        const rows = entries.map((e) => ({
          at: e.at,
          actor: e.actor,
          action: e.action,
          target: e.target,
          status: e.status,
          detail: e.detail === null ? null : JSON.stringify(e.detail),
        }));
        const format = (
          OUTPUT_FORMATS.includes(o.format as OutputFormat) ? o.format : 'table'
        ) as OutputFormat;
        process.stdout.write(formatRows(rows, format));
      } finally {
        await rt.close();
      }
    });
  return cmd;
}
