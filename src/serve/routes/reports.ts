import fs from 'node:fs';
import path from 'node:path';
import { BUILTIN_REPORTS } from '../../report/builtin.js';
import { getRun, listRuns } from '../../report/runs.js';
import { reportRunner, reportScheduler } from '../../report/service.js';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { REPORT_FILE_DOC, REPORT_RUNS_DOC, REPORTS_DOC, RUN_REPORT_DOC } from './reports.doc.js';

/** GET /v1/reports, runs, file downloads, and POST to run one now with parameters. */
export const reportRoutes: RoutePlugin = (app, runtime) => {
  const runner = reportRunner(runtime);

  app.get('/v1/reports', scoped('read', REPORTS_DOC), async () => {
    await runner.migrate();
    const upcoming = new Map((reportScheduler(runtime)?.upcoming() ?? []).map((u) => [u.name, u.next]));
    const reports = [];
    for (const [name, def] of Object.entries(runtime.config.reports)) {
      const [last] = await listRuns(runtime.store, name, 1);
      reports.push({
        name,
        description:
          def.description ?? (def.builtin ? BUILTIN_REPORTS[def.builtin]?.description : null) ?? null,
        source: def.builtin
          ? { builtin: def.builtin }
          : def.sql
            ? { sql: def.sql }
            : def.projection
              ? { projection: def.projection }
              : { query: def.query },
        schedule: def.schedule ?? null,
        next: upcoming.get(name) ?? null,
        offset: def.offset,
        params: def.params,
        format: def.format,
        running: runner.isRunning(name),
        lastRun: last ?? null,
      });
    }
    return { reports };
  });

  app.get<{ Params: { name: string } }>(
    '/v1/reports/:name/runs',
    scoped('read', REPORT_RUNS_DOC),
    async (req, reply) => {
      if (!runtime.config.reports[req.params.name])
        return reply.code(404).send({ error: `no report named ${req.params.name}` });
      await runner.migrate();
      const runs = await listRuns(runtime.store, req.params.name, 100);
      return {
        runs: runs.map((r) => ({
          ...r,
          download: r.status === 'ok' ? `/v1/reports/${req.params.name}/runs/${r.id}/file` : null,
        })),
      };
    },
  );

  app.get<{ Params: { name: string; id: string } }>(
    '/v1/reports/:name/runs/:id/file',
    scoped('read', REPORT_FILE_DOC),
    async (req, reply) => {
      await runner.migrate();
      const run = await getRun(runtime.store, req.params.id);
      if (!run || run.report !== req.params.name) return reply.code(404).send({ error: 'no such run' });
      if (!run.file || !fs.existsSync(run.file))
        return reply.code(404).send({ error: 'this run has no file (it failed, or the file was removed)' });
      const types: Record<string, string> = {
        '.csv': 'text/csv',
        '.json': 'application/json',
        '.ndjson': 'application/x-ndjson',
        '.parquet': 'application/vnd.apache.parquet',
      };
      reply.header('content-type', types[path.extname(run.file)] ?? 'application/octet-stream');
      reply.header(
        'content-disposition',
        `attachment; filename="${req.params.name}-${run.windowEnd}${path.extname(run.file)}"`,
      );
      return reply.send(fs.createReadStream(run.file));
    },
  );

  app.post<{ Params: { name: string } }>(
    '/v1/reports/:name/run',
    scoped('admin', RUN_REPORT_DOC),
    async (req, reply) => {
      if (!runtime.config.reports[req.params.name])
        return reply.code(404).send({ error: `no report named ${req.params.name}` });
      let body: Record<string, unknown> = {};
      const raw = (req.body as Buffer | undefined)?.toString('utf8').trim();
      if (raw) {
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return reply
            .code(400)
            .send({ error: 'body must be JSON: {"end": "…", "offset": "15m", "params": {…}}' });
        }
      }
      let end: Date | undefined;
      if (body.end !== undefined) {
        end = new Date(String(body.end));
        if (Number.isNaN(end.getTime()))
          return reply.code(400).send({ error: `end must be an ISO time, not ${JSON.stringify(body.end)}` });
      }
      const run = await runner.run(req.params.name, {
        ...(end ? { end } : {}),
        ...(typeof body.offset === 'string' ? { offset: body.offset } : {}),
        ...(body.params && typeof body.params === 'object'
          ? { params: body.params as Record<string, unknown> }
          : {}),
      });
      return reply.code(run.status === 'ok' ? 200 : run.status === 'skipped' ? 409 : 500).send({
        ...run,
        download: run.status === 'ok' ? `/v1/reports/${req.params.name}/runs/${run.id}/file` : null,
      });
    },
  );
};
