import path from 'node:path';
import type { Runtime } from '../runtime.js';
import type { LakeConfig } from './config.js';
import { CsvDatasource } from './datasources/csv-datasource.js';
import type { LakeDatasource } from './datasources/datasource.js';
import { StoreDatasource } from './datasources/store-datasource.js';

/** Opens a configured datasource with its engine's adapter (a database driver loads only when one is configured). */
export async function openDatasource(
  runtime: Runtime,
  def: LakeConfig['datasources'][string],
): Promise<LakeDatasource> {
  if (def.type === 'mysql') {
    const { MysqlDatasource } = await import('./datasources/mysql-datasource.js');
    return new MysqlDatasource(def.url);
  }
  if (def.type === 'postgres') {
    const { PostgresDatasource } = await import('./datasources/postgres-datasource.js');
    return new PostgresDatasource(def.url);
  }
  if (def.type === 'csv') return new CsvDatasource(path.resolve(runtime.baseDir, def.dir));
  return new StoreDatasource(runtime.store, runtime.projections);
}
