import { Command } from 'commander';
import { hashToken } from '../../serve/access/credentials.js';
import { fail } from '../project.js';

/** `panoramix token hash TOKEN`: the sha256: form of a token, for a configuration that holds no secret. */
export function tokenCommand(): Command {
  const token = new Command('token').description('work with read, admin and metrics tokens');
  token
    .command('hash')
    .description('print the sha256:… form of a token, to put in server.readTokens or adminTokens')
    .argument('<token>', 'the token (at least 8 characters)')
    .action((value: string) => {
      if (value.length < 8) fail('a token must be at least 8 characters');
      process.stdout.write(`${hashToken(value)}\n`);
    });
  return token;
}
