import path from 'node:path';
import { DuckDbStore } from '../../src/store/duckdb/duckdb-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { pgSchema } from './pg-schemas.js';
import { serviceUrl } from './services.js';
import { tempDir } from './temp.js';

/** A store under test: how to open a fresh, empty one, and how to open the same one again. */
export interface StoreFactory {
  readonly name: string;
  /** Opens a fresh, empty store; `reopen` opens the same data again (after a close). */
  create(): Promise<{ store: Store; reopen: () => Promise<Store> }>;
}

/** Every store engine the contract suite runs against; PostgreSQL joins when its URL is set. */
export function storeFactories(): StoreFactory[] {
  const list: StoreFactory[] = [
    {
      name: 'duckdb',
      async create() {
        const file = path.join(tempDir(), 'store.duckdb');
        return {
          store: await DuckDbStore.open({ path: file }),
          reopen: () => DuckDbStore.open({ path: file }),
        };
      },
    },
  ];
  const url = serviceUrl('postgres');
  if (url) {
    list.push({
      name: 'postgres',
      async create() {
        // Each store gets its own schema, dropped after a passing test.
        const schema = pgSchema(url);
        return {
          store: await PostgresStore.open({ url, schema }),
          reopen: () => PostgresStore.open({ url, schema }),
        };
      },
    });
  }
  return list;
}
