import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, freePort, waitForHttp } from './support/process.js';
import { describeWith } from './support/services.js';
import { tempDir } from './support/temp.js';

// docs/operations.md's backups and restores, run as written: the shell blocks after its `<!-- procedure: … -->`
// markers, with the paths moved into a temporary directory and a `systemctl` of the test's own that stops
// (SIGTERM, waiting for the exit, as systemd does) and starts a real `panoramix start`.
const DOC = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/operations.md'), 'utf8');
const KEY = 'wk_backup_test_key';
const TOKEN = 'rt_backup_test_token';

const SYSTEMCTL = `#!/usr/bin/env bash
# The test's systemctl, whatever the units named: "stop" sends SIGTERM and waits for the exit, "start" starts.
set -euo pipefail
case "$1" in
  stop)
    pid=$(cat "$PIDFILE")
    kill -TERM "$pid"
    while ps -o stat= -p "$pid" | grep -qv '^Z'; do sleep 0.05; done ;;
  start)
    nohup "$NODE" "$CLI" start --config "$CONFIG" >> "$LOG" 2>&1 &
    echo $! > "$PIDFILE" ;;
esac
`;

/** A directory standing for the machine, a `panoramix start` managed by the test's systemctl, and its HTTP. */
class Machine {
  readonly root = tempDir();
  private readonly pidFile = path.join(this.root, 'panoramix.pid');
  private port = 0;

  async install(store: string, env: Record<string, string> = {}): Promise<void> {
    this.port = await freePort();
    fs.mkdirSync(path.join(this.root, 'bin'));
    fs.writeFileSync(path.join(this.root, 'bin', 'systemctl'), SYSTEMCTL, { mode: 0o755 });
    fs.mkdirSync(path.join(this.root, 'etc'));
    fs.writeFileSync(
      path.join(this.root, 'etc', 'panoramix.yaml'),
      `store:\n${store}\nserver:\n  port: ${this.port}\n  readTokens: [${TOKEN}]\nsources:\n  web: { writeKeys: [${KEY}] }\n`,
    );
    this.env = env;
  }

  private env: Record<string, string> = {};

  /** The sh block after a procedure marker, with its absolute paths moved under this machine's directory. */
  procedure(name: string): string {
    const at = DOC.indexOf(`<!-- procedure: ${name} `);
    expect(at, `docs/operations.md has no procedure ${name}`).toBeGreaterThanOrEqual(0);
    const block = /```sh\n([\s\S]*?)```/.exec(DOC.slice(at))?.[1] ?? '';
    expect(block.trim()).not.toBe('');
    return block
      .replaceAll('/var/lib/panoramix', `${this.root}/var/lib/panoramix`)
      .replaceAll('/var/backups/panoramix', `${this.root}/var/backups/panoramix`);
  }

  /** The backups the procedure made. */
  backups(): string[] {
    return fs.readdirSync(path.join(this.root, 'var/backups/panoramix'));
  }

  run(script: string): void {
    execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
      env: {
        ...process.env,
        ...this.env,
        PATH: `${path.join(this.root, 'bin')}:${process.env.PATH}`,
        PIDFILE: this.pidFile,
        NODE: process.execPath,
        CLI,
        CONFIG: path.join(this.root, 'etc', 'panoramix.yaml'),
        LOG: path.join(this.root, 'panoramix.log'),
      },
      stdio: 'pipe',
    });
  }

  async up(): Promise<void> {
    await waitForHttp(`http://127.0.0.1:${this.port}/status`, {
      output: () => fs.readFileSync(path.join(this.root, 'panoramix.log'), 'utf8'),
    });
  }

  async send(ids: string[]): Promise<{ accepted: number; duplicates: number }> {
    const res = await fetch(`http://127.0.0.1:${this.port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      body: ids.map((id) => JSON.stringify({ id, type: 'page_viewed', data: { id } })).join('\n'),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { accepted: number; duplicates: number };
  }

  async storedIds(): Promise<string[]> {
    const res = await fetch(`http://127.0.0.1:${this.port}/v1/events?limit=1000`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id).sort();
  }

  kill(): void {
    try {
      process.kill(Number(fs.readFileSync(this.pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // not started, or already stopped
    }
  }
}

const before = Array.from({ length: 50 }, (_, i) => `before-${String(i).padStart(2, '0')}`);
const after = Array.from({ length: 20 }, (_, i) => `after-${String(i).padStart(2, '0')}`);

/** Backup, 20 more events, restore: the 20 are gone, the 50 all there, and resending proves the keys. */
async function backupThenRestore(
  m: Machine,
  backup: string,
  restore: (made: string) => string,
): Promise<void> {
  m.run('systemctl start panoramix');
  await m.up();
  expect((await m.send(before)).accepted).toBe(50);

  m.run(backup);
  expect(m.backups()).toHaveLength(1);
  await m.up();
  expect((await m.send(after)).accepted).toBe(20);
  expect(await m.storedIds()).toEqual([...before, ...after].sort());

  m.run(restore(m.backups()[0]!));
  await m.up();
  expect(await m.storedIds()).toEqual(before);
  // The exactly-once keys came back with the events: a resend of them is all duplicates (an answer's
  // accepted counts them too), and the lost ones are stored again.
  expect(await m.send(before)).toMatchObject({ accepted: 50, duplicates: 50 });
  expect(await m.send(after)).toMatchObject({ accepted: 20, duplicates: 0 });
  expect(await m.storedIds()).toHaveLength(70);
  m.run('systemctl stop panoramix');
}

describe('the DuckDB backup and restore of docs/operations.md', () => {
  const m = new Machine();
  afterAll(() => m.kill());

  it('brings the store back to the backup: later events gone, earlier ones all there, a resend stored once', async () => {
    await m.install(`  path: ${m.root}/var/lib/panoramix/data/panoramix.duckdb`);
    // The restore names a backup by its directory: the one the backup just made.
    await backupThenRestore(m, m.procedure('duckdb-backup'), (made) =>
      m.procedure('duckdb-restore').replace(/(B=\S*\/var\/backups\/panoramix\/)\S+/, `$1${made}`),
    );
  }, 60_000);
});

describeWith('postgres', 'the PostgreSQL backup and restore of docs/operations.md', (url) => {
  const m = new Machine();
  const schema = `backup_${process.pid}_${Date.now() % 1e6}`;
  // The blocks name the schema of the example configuration; here each run has its own.
  const own = (block: string) => block.replaceAll('--schema=panoramix', `--schema=${schema}`);
  afterAll(async () => {
    m.kill();
    const client = new pg.Client(url);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('brings the schema back to the dump: later events gone, earlier ones all there, a resend stored once', async () => {
    await m.install(`  engine: postgres\n  url: ${url}\n  schema: ${schema}`, { DATABASE_URL: url });
    await backupThenRestore(m, own(m.procedure('postgres-backup')), (made) =>
      own(m.procedure('postgres-restore')).replace(/panoramix-\d{8}T\d{6}Z\.dump/, made),
    );
  }, 90_000);
});
