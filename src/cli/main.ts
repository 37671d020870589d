import { Command } from 'commander';
import { auditCommand } from './commands/audit.js';
import { demoCommand } from './commands/demo.js';
import { destinationsCommand } from './commands/destinations.js';
import { forgetCommand } from './commands/forget.js';
import { generateCommand } from './commands/generate.js';
import { initCommand } from './commands/init.js';
import { lakeCommand } from './commands/lake.js';
import { lifecycleCommand } from './commands/lifecycle.js';
import { matchCommand } from './commands/match.js';
import { projectCommand } from './commands/project.js';
import { quarantineCommand } from './commands/quarantine.js';
import { replayCommand } from './commands/replay.js';
import { reportCommand } from './commands/report.js';
import { retentionCommand } from './commands/retention.js';
import { batchCommand, serveCommand, workCommand } from './commands/serve.js';
import { sqlCommand } from './commands/sql.js';
import { startCommand } from './commands/start.js';
import { tokenCommand } from './commands/token.js';

/** Every command, one file each; features add one line here. */
const COMMANDS = [
  startCommand,
  demoCommand,
  initCommand,
  replayCommand,
  generateCommand,
  sqlCommand,
  projectCommand,
  reportCommand,
  quarantineCommand,
  lifecycleCommand,
  lakeCommand,
  matchCommand,
  destinationsCommand,
  tokenCommand,
  forgetCommand,
  retentionCommand,
  auditCommand,
  serveCommand,
  workCommand,
  batchCommand,
];

const program = new Command()
  .name('panoramix')
  .description('Self-hosted event pipeline and reporting service: collect, store, project, serve.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');
for (const make of COMMANDS) program.addCommand(make());

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException | undefined;
  // A system call's failure (a missing file, a refused connection) is the user's to fix and its message says
  // what and where; anything else is a bug, and its stack is what a report needs.
  const text = e && typeof e.code === 'string' && e.syscall ? e.message : (e?.stack ?? String(err));
  process.stderr.write(`panoramix: ${text}\n`);
  process.exit(1);
});
