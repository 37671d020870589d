import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, freePort, waitForHttp } from './support/process.js';
import { tempDir } from './support/temp.js';

// docs/operations.md's DuckDB backup and restore, run as written: the shell blocks after its
// `<!-- procedure: duckdb-backup -->` and `<!-- procedure: duckdb-restore -->` markers, with the paths moved
// into a temporary directory and a `systemctl` of the test's own that stops (SIGTERM, waiting for the exit)
// and starts a real `panoramix start`.
const DOC = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/operations.md'), 'utf8');
const root = tempDir();
const pidFile = path.join(root, 'panoramix.pid');
const KEY = 'wk_backup_test_key';
const TOKEN = 'rt_backup_test_token';

/** The sh block after a procedure marker, with its absolute paths moved under the test's directory. */
function procedure(name: string): string {
  const at = DOC.indexOf(`<!-- procedure: ${name} `);
  expect(at, `docs/operations.md has no procedure ${name}`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([\s\S]*?)```/.exec(DOC.slice(at))?.[1] ?? '';
  expect(block).toContain('systemctl');
  return block
    .replaceAll('/var/lib/panoramix', `${root}/var/lib/panoramix`)
    .replaceAll('/var/backups/panoramix', `${root}/var/backups/panoramix`);
}

const SYSTEMCTL = `#!/usr/bin/env bash
# The test's systemctl: "stop" sends SIGTERM and waits for the exit (as systemd does), "start" starts.
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

let port = 0;
const base = () => `http://127.0.0.1:${port}`;

function run(script: string): void {
  execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
    env: {
      ...process.env,
      PATH: `${path.join(root, 'bin')}:${process.env.PATH}`,
      PIDFILE: pidFile,
      NODE: process.execPath,
      CLI,
      CONFIG: path.join(root, 'etc', 'panoramix.yaml'),
      LOG: path.join(root, 'panoramix.log'),
    },
    stdio: 'pipe',
  });
}

async function up(): Promise<void> {
  await waitForHttp(`${base()}/status`, {
    output: () => fs.readFileSync(path.join(root, 'panoramix.log'), 'utf8'),
  });
}

async function send(ids: string[]): Promise<{ accepted: number; duplicates: number }> {
  const res = await fetch(`${base()}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
    body: ids.map((id) => JSON.stringify({ id, type: 'page_viewed', data: { id } })).join('\n'),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { accepted: number; duplicates: number };
}

async function storedIds(): Promise<string[]> {
  const res = await fetch(`${base()}/v1/events?limit=1000`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { events: { id: string }[] };
  return body.events.map((e) => e.id).sort();
}

afterAll(() => {
  try {
    process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL');
  } catch {
    // already stopped
  }
});

describe('the DuckDB backup and restore of docs/operations.md', () => {
  it('brings the store back to the backup: later events gone, earlier ones all there, a resend stored once', async () => {
    port = await freePort();
    fs.mkdirSync(path.join(root, 'bin'));
    fs.writeFileSync(path.join(root, 'bin', 'systemctl'), SYSTEMCTL, { mode: 0o755 });
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(
      path.join(root, 'etc', 'panoramix.yaml'),
      `store:\n  path: ${root}/var/lib/panoramix/data/panoramix.duckdb\nserver:\n  port: ${port}\n  readTokens: [${TOKEN}]\nsources:\n  web: { writeKeys: [${KEY}] }\n`,
    );
    const before = Array.from({ length: 50 }, (_, i) => `before-${String(i).padStart(2, '0')}`);
    const after = Array.from({ length: 20 }, (_, i) => `after-${String(i).padStart(2, '0')}`);

    run('systemctl start panoramix');
    await up();
    expect((await send(before)).accepted).toBe(50);

    run(procedure('duckdb-backup'));
    const backups = fs.readdirSync(path.join(root, 'var/backups/panoramix'));
    expect(backups).toHaveLength(1);
    await up();
    expect((await send(after)).accepted).toBe(20);
    expect(await storedIds()).toEqual([...before, ...after].sort());

    // The restore names a backup by its directory: the one the backup just made.
    run(procedure('duckdb-restore').replace(/(B=\S*\/var\/backups\/panoramix\/)\S+/, `$1${backups[0]}`));
    await up();
    expect(await storedIds()).toEqual(before);
    // The exactly-once key set was rebuilt from the restored events: a resend of them is all duplicates (an
    // answer's accepted counts them too), the lost ones are stored again.
    expect(await send(before)).toMatchObject({ accepted: 50, duplicates: 50 });
    expect(await send(after)).toMatchObject({ accepted: 20, duplicates: 0 });
    expect((await storedIds()).length).toBe(70);
    run('systemctl stop panoramix');
  }, 60_000);
});
