import path from 'node:path';
import { pino } from 'pino';
import { createRuntime } from '../../src/compose.js';
import { parseConfig } from '../../src/config/load.js';
import type { Runtime } from '../../src/runtime.js';
import { pgSchema } from './pg-schemas.js';
import { serviceUrl } from './services.js';
import { tempDir } from './temp.js';

/** A whole runtime on a fresh store of one engine, from the YAML of everything but the store. */
export interface RuntimeFactory {
  readonly name: 'duckdb' | 'postgres';
  /** Opens a runtime on a fresh store; `reopen` opens the same store again with the same YAML (after a close). */
  create(yaml: string): Promise<{ runtime: Runtime; dir: string; reopen: () => Promise<Runtime> }>;
  /** The store lines of the YAML, for a child process opening the same store. */
  storeYaml(dir: string): string;
}

/** Runtimes on every engine: DuckDB always, PostgreSQL when its URL is set (each in its own schema, dropped after a passing test). */
export function runtimeFactories(): RuntimeFactory[] {
  const make = (name: RuntimeFactory['name'], storeYaml: (dir: string) => string): RuntimeFactory => ({
    name,
    storeYaml,
    async create(yaml) {
      const dir = tempDir();
      const open = () =>
        createRuntime(parseConfig(`${storeYaml(dir)}\n${yaml}`), dir, pino({ level: 'silent' }));
      return { runtime: await open(), dir, reopen: open };
    },
  });
  const list = [make('duckdb', (dir) => `store:\n  path: ${path.join(dir, 'store.duckdb')}`)];
  const url = serviceUrl('postgres');
  if (url) {
    // One schema per runtime's directory: a child process opening the same store asks again.
    const schemas = new Map<string, string>();
    list.push(
      make('postgres', (dir) => {
        const schema = schemas.get(dir) ?? pgSchema(url);
        schemas.set(dir, schema);
        return `store:\n  engine: postgres\n  url: "${url}"\n  schema: ${schema}`;
      }),
    );
  }
  return list;
}
