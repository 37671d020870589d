import fs from 'node:fs';
import path from 'node:path';
import { scoped } from '../access/scopes.js';
import type { RoutePlugin } from '../route-plugin.js';
import { ASSET_DOC, DASHBOARD_DOC } from './dashboard.doc.js';

const DIST = path.resolve(import.meta.dirname, '../../../web/dist');
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * The dashboard at / (built by Vite into web/dist). It reads the same public API as everyone, with the read
 * token; its routes live after the # so they never shadow an API path.
 */
export const dashboardRoutes: RoutePlugin = (app) => {
  app.get('/', scoped('open', DASHBOARD_DOC), async (_req, reply) => {
    const index = path.join(DIST, 'index.html');
    if (!fs.existsSync(index)) {
      return reply
        .type('text/html')
        .send(
          '<p>The dashboard is not built: run <code>npm run build</code>. The API is at <a href="/status">/status</a>.</p>',
        );
    }
    reply.header('cache-control', 'no-cache');
    return reply.type('text/html; charset=utf-8').send(fs.readFileSync(index));
  });
  app.get<{ Params: { file: string } }>('/assets/:file', scoped('open', ASSET_DOC), async (req, reply) => {
    const file = path.join(DIST, 'assets', path.basename(req.params.file));
    if (!fs.existsSync(file)) return reply.code(404).send({ error: 'no such asset' });
    // Asset names carry a content hash: cache them for good.
    reply.header('cache-control', 'public, max-age=31536000, immutable');
    return reply
      .type(TYPES[path.extname(file)] ?? 'application/octet-stream')
      .send(fs.createReadStream(file));
  });
};
