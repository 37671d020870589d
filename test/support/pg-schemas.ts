import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, onTestFinished, type RunnerTask } from 'vitest';

let n = 0;
// Schemas made outside a test (a suite's beforeAll): dropped after the file, when none of its tests failed.
const suiteScoped: { url: string; schema: string }[] = [];

/**
 * A fresh PostgreSQL schema for one store under test, `t_` and 12 hex digits of the process, the time and a
 * counter. It is dropped when its test passes and kept when it fails, for a look at what the test left
 * (pg-boss's habit); one made outside a test (in a beforeAll) goes after the file, when all its tests passed.
 */
export function pgSchema(url: string): string {
  const schema = `t_${createHash('sha256').update(`${process.pid}-${Date.now()}-${n++}`).digest('hex').slice(0, 12)}`;
  try {
    onTestFinished(async ({ task }) => {
      if (task.result?.state === 'pass') await dropSchema(url, schema);
    });
  } catch {
    // Not inside a test.
    suiteScoped.push({ url, schema });
  }
  return schema;
}

// Registered on the file that imports this module (vitest isolates each file's modules).
// biome-ignore lint/correctness/noEmptyPattern: vitest requires a destructuring pattern for the hook's context.
afterAll(async ({}, file) => {
  const made = suiteScoped.splice(0);
  if (failed(file)) return;
  for (const { url, schema } of made) await dropSchema(url, schema);
});

function failed(task: Readonly<RunnerTask>): boolean {
  if (task.result?.state === 'fail') return true;
  return 'tasks' in task && task.tasks.some((t) => failed(t));
}

// A schema a store still uses in a transaction is left for later rather than waited for.
async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query("SET lock_timeout = '3s'");
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch {
    // Kept: the name is unique, so it is in nobody's way.
  } finally {
    await client.end().catch(() => undefined);
  }
}
