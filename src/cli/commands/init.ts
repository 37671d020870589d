import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { SCHEMA_FILE } from '../../config/reference.js';
import { hashToken } from '../../serve/access/credentials.js';
import { fail } from '../project.js';

/** The JSON Schema of panoramix.yaml shipped at the package root (dist/cli/commands → ../../..). */
const SCHEMA_PATH = path.resolve(import.meta.dirname, '../../..', SCHEMA_FILE);

/** `panoramix init`: writes a commented starter panoramix.yaml with fresh keys. */
export function initCommand(): Command {
  return new Command('init')
    .description(
      'write a commented starter panoramix.yaml (with a fresh write key, read token and admin token)',
    )
    .option('-o, --out <file>', 'where to write it', 'panoramix.yaml')
    .option('--force', 'overwrite an existing file')
    .action((opts: { out: string; force?: boolean }) => {
      if (fs.existsSync(opts.out) && !opts.force) fail(`${opts.out} exists; pass --force to overwrite it`);
      const admin = `at_${randomBytes(24).toString('base64url')}`;
      // Relative to the file, as yaml-language-server reads it: editors then complete and check every key.
      const schema = path
        .relative(path.dirname(path.resolve(opts.out)), SCHEMA_PATH)
        .split(path.sep)
        .join('/');
      fs.writeFileSync(opts.out, starterConfig(admin, schema));
      // The file holds only the admin token's digest: this is the one time the token itself is shown.
      process.stdout.write(
        `wrote ${opts.out}; start with: npx panoramix start --config ${opts.out}\n` +
          `admin token (shown once; ${opts.out} keeps only its sha256): ${admin}\n`,
      );
    });
}

/**
 * The starter project file: every section commented, safe defaults, secrets generated; `schema` is the path (or
 * URL) of panoramix.schema.json for editors. Every key is in docs/configuration.md.
 */
export function starterConfig(adminToken: string, schema: string): string {
  const key = `wk_${randomBytes(18).toString('base64url')}`;
  const token = `rt_${randomBytes(18).toString('base64url')}`;
  return `# yaml-language-server: $schema=${schema}
# panoramix.yaml: one project. Relative paths resolve against this file's folder; every key is described in
# docs/configuration.md, and an editor with the YAML language server completes and checks them.
# Values may use \${ENV_VAR} (or \${ENV_VAR:-default}) so secrets can stay out of the file.
project: my-project

# Where events and projections live. The default is an embedded DuckDB file (no services needed).
store:
  engine: duckdb
  path: ./data/panoramix.duckdb
  # engine: postgres
  # url: postgres://user@127.0.0.1:5432/panoramix

server:
  host: 127.0.0.1
  port: 8080
  bodyLimit: 10mb            # larger bodies get 413
  maxEventsPerRequest: 10000 # larger batches get 413
  queueLimit: 200000         # events waiting for a commit before 503 + Retry-After
  # Tokens that may read projections, queries, reports and events (Authorization: Bearer TOKEN).
  readTokens:
    - ${token}
  # Tokens that may change state: rebuilds, report runs, quarantine replay and discard, matching changes.
  # Given as sha256:<digest> (panoramix token hash TOKEN), the file holds no secret.
  adminTokens:
    - ${hashToken(adminToken)}
  # metricsToken: mt_…       # set: /metrics, /status and /api/q/stats need it (or an admin token)
  # Web pages that may send events from a browser (analytics.js, fetch): their origins, or "*" for any.
  # corsOrigins: [https://shop.example.com]

# Each source is a producer with its own write keys (Authorization: Bearer KEY, or Basic KEY: as Segment sends).
sources:
  web:
    writeKeys:
      - ${key}
  # A source whose events have their own shape maps fields onto the envelope (dotted paths):
  # mars:
  #   writeKeys: [\${MARS_WRITE_KEY}]
  #   mapping: { id: message_id, type: event, subject: message_id, time: created_at }

# Payment/loyalty transaction matching (docs/matching.md); a whole example is examples/loyalty.
# matching:
#   providers: { visa: { columns: { transaction_id: Transaction ID, merchant_id: MID } } }
#   schemes: { iceland: { rules: [auth_code, card, time], window: 60s } }
#   rabbitmq: { url: "\${RABBITMQ_URL}" }
#   export: { queue: panoramix.match.export }
`;
}
