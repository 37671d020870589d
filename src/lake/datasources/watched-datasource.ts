import { isConnectionError } from '../../core/connection-errors.js';
import type { ConnectionWatch } from '../../core/connection-watch.js';
import type { LakeDatasource, RowFilter, SourceRow } from './datasource.js';

/**
 * A datasource whose connection is watched: a call or a row stream that gets through marks it up, one that
 * fails to reach the database marks it down (a query error is the query's, not the connection's).
 */
export function watchedDatasource(ds: LakeDatasource, watch: ConnectionWatch): LakeDatasource {
  const watched = async <T>(work: Promise<T>): Promise<T> => {
    try {
      const result = await work;
      watch.up();
      return result;
    } catch (err) {
      if (isConnectionError(err)) watch.down(err);
      throw err;
    }
  };
  return {
    async *batches(table: string, fields: readonly string[], filter: RowFilter): AsyncIterable<SourceRow[]> {
      try {
        let first = true;
        for await (const batch of ds.batches(table, fields, filter)) {
          if (first) watch.up();
          first = false;
          yield batch;
        }
        watch.up();
      } catch (err) {
        if (isConnectionError(err)) watch.down(err);
        throw err;
      }
    },
    columns: (table) => watched(ds.columns(table)),
    tables: () => watched(ds.tables()),
    ping: () => watched(ds.ping()),
    close: () => ds.close(),
  };
}
