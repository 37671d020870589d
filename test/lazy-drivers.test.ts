import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MATCHING } from './support/matching.js';
import { tempDir } from './support/temp.js';

// Drivers load only when a configured feature needs them (issue 13): a process that is not in server mode
// and has no broker, no S3 and no database datasource never loads their client libraries.
const DRIVERS = ['amqplib', 'mqtt', 'kafkajs', '@nats-io/', 'mysql2', '@aws-sdk/', 'pg'];
const FIXTURE = path.resolve(import.meta.dirname, 'support/drivers-loaded.ts');

/** The drivers a process composed from the YAML loaded: after start, and after it opened one datasource. */
async function driversLoaded(yaml: string, datasource: string): Promise<[string[], string[]]> {
  const args = ['--import', 'tsx', FIXTURE, yaml, tempDir(), datasource];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
  const [started, opened] = stdout
    .trim()
    .split('\n')
    .slice(-2)
    .map((line) =>
      (JSON.parse(line) as string[]).filter((p) =>
        DRIVERS.some((d) => (d.endsWith('/') ? p.startsWith(d) : p === d)),
      ),
    );
  return [started!, opened!];
}

const EVERYTHING_EMBEDDED = `${MATCHING()}
projections:
  per_type: { shape: aggregate, dimensions: { type: type }, measures: { events: count() } }
reports:
  daily: { sql: "SELECT count(*) AS n FROM events", schedule: "0 6 * * *" }
lifecycles:
  mail: { key: subject, stages: [queued, sent] }
lake:
  target: ./lake
  datasources:
    self: { type: store }
    edx: { type: mysql, url: "mysql://nobody@127.0.0.1:1/none" }
  tables:
    events: { datasources: [self], fields: { seq: bigint, type: text } }
`;

describe('driver loading', () => {
  it('loads no broker, log, S3 or database driver until a feature needs one', async () => {
    const [started, opened] = await driversLoaded(EVERYTHING_EMBEDDED, 'edx');
    expect(started).toEqual([]);
    // Opening the MySQL datasource loads its driver: the check above can see one.
    expect(opened).toEqual(['mysql2']);
  }, 60_000);
});
