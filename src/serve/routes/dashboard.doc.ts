import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';

export const DASHBOARD_DOC: RouteDoc = {
  summary: 'The dashboard (a page that reads this API with the read token)',
  tags: ['dashboard'],
  response: { 200: { description: 'the page', contentType: 'text/html' } },
};

export const ASSET_DOC: RouteDoc = {
  summary: 'One of the dashboard’s files (scripts, styles, fonts), cached for good',
  tags: ['dashboard'],
  response: {
    200: { description: 'the file', contentType: 'application/octet-stream' },
    404: errorResponse('no such file'),
  },
};
