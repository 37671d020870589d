import path from 'node:path';
import type { Runtime } from '../runtime.js';
import type { LakeConfig } from './config.js';
import { CsvDatasource } from './datasources/csv-datasource.js';
import type { LakeDatasource } from './datasources/datasource.js';
import { MysqlDatasource } from './datasources/mysql-datasource.js';
import { PostgresDatasource } from './datasources/postgres-datasource.js';
import { StoreDatasource } from './datasources/store-datasource.js';

/** Opens a configured datasource with its engine's adapter. */
export function openDatasource(runtime: Runtime, def: LakeConfig['datasources'][string]): LakeDatasource {
  if (def.type === 'mysql') return new MysqlDatasource(def.url);
  if (def.type === 'postgres') return new PostgresDatasource(def.url);
  if (def.type === 'csv') return new CsvDatasource(path.resolve(runtime.baseDir, def.dir));
  return new StoreDatasource(runtime.store, runtime.projections);
}
