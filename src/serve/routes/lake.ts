import { LAKE_MIGRATIONS } from '../../lake/extract-load.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { LAKE_DOC } from './lake.doc.js';

/**
 * GET /v1/lake: the lake's tables and its recent runs with the partitions each wrote. Without a lake it says
 * so plainly (as matching's summary does): a 404 was logged by the browser as an error on the dashboard.
 */
export const lakeRoutes: RoutePlugin = (app, runtime) => {
  const lake = runtime.config.lake;
  if (!lake) {
    app.get('/v1/lake', scoped('read', LAKE_DOC), async () => ({
      configured: false,
      message: 'the lake is not configured (add a lake: section to panoramix.yaml)',
    }));
    return;
  }
  app.get('/v1/lake', scoped('read', LAKE_DOC), async () => {
    await runtime.store.migrate(LAKE_MIGRATIONS);
    const runs = await runtime.store.query(
      'SELECT * FROM panoramix_lake_runs ORDER BY started_at DESC LIMIT 20',
    );
    return {
      configured: true,
      target: lake.target,
      format: lake.format,
      tables: Object.entries(lake.tables).map(([name, t]) => ({
        name,
        datasources: t.datasources,
        partitions: t.partitions,
        incremental: t.incremental ?? null,
        schedule: t.schedule ?? null,
      })),
      runs: runs.map((r) => ({ ...r, written: r.written ? JSON.parse(r.written as string) : [] })),
    };
  });
};
