import { errorResponse, type RouteDoc } from '../openapi/route-doc.js';
import { bool, int, list, nullable, obj, query, str, time } from '../openapi/schema-kit.js';

const tags = ['access'];

const LIMITS = obj({
  sources: list(str()),
  projections: list(str()),
  queries: list(str()),
  fixed: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'column: value every read is held to',
  },
});

export const ACCESS_DOC: RouteDoc = {
  summary: "Who the request's token is, and what it may do (the dashboard hides what it may not)",
  tags,
  response: {
    200: {
      description: 'the caller',
      schema: obj(
        {
          name: str(),
          kind: { enum: ['anonymous', 'read', 'admin', 'metrics'] },
          may: obj({ read: bool, admin: bool }, ['read', 'admin']),
          limits: nullable(LIMITS),
        },
        ['name', 'kind', 'may', 'limits'],
      ),
      example: { name: 'ops', kind: 'admin', may: { read: true, admin: true }, limits: null },
    },
  },
};

const ENTRY = obj(
  {
    id: str(),
    at: time,
    actor: str('the token’s name'),
    action: str('METHOD /route/:pattern'),
    target: str('the path asked'),
    detail: { description: 'the query and body of the request' },
    status: nullable(int('the answer’s status; null while running or if it never answered')),
    finishedAt: nullable(time),
  },
  ['id', 'at', 'actor', 'action', 'target', 'status'],
);

export const AUDIT_DOC: RouteDoc = {
  summary: 'The audit log: every admin action, who did it and how it ended (newest first)',
  tags,
  querystring: query({
    limit: { type: 'string', pattern: '^[0-9]+$', description: 'how many entries (100 unless said)' },
    actor: str('only this token’s'),
    action: str('only this action, such as POST /v1/quarantine/replay'),
  }),
  response: {
    200: {
      description: 'the entries',
      schema: obj({ entries: list(ENTRY) }, ['entries']),
      example: {
        entries: [
          {
            id: '8d0d5e2a-3c41-4b7e-9a55-0f6f1f5c2b10',
            at: '2026-12-03T07:00:00.000Z',
            actor: 'ops',
            action: 'POST /v1/quarantine/replay',
            target: '/v1/quarantine/replay',
            detail: { body: {} },
            status: 200,
            finishedAt: '2026-12-03T07:00:00.120Z',
          },
        ],
      },
    },
  },
};

const TOKEN = obj(
  {
    id: str(),
    name: str(),
    scope: { enum: ['read', 'admin'] },
    limits: nullable(LIMITS),
    createdAt: time,
    createdBy: str(),
    expiresAt: nullable(time),
    revokedAt: nullable(time),
  },
  ['id', 'name', 'scope', 'limits', 'createdAt', 'createdBy', 'expiresAt', 'revokedAt'],
);

export const CREATE_TOKEN_DOC: RouteDoc = {
  summary: 'Makes a token (the token itself is in this answer only)',
  tags,
  body: {
    schema: obj(
      {
        name: str('what the token is for (the audit log shows it)'),
        scope: { enum: ['read', 'admin'] },
        sources: list(str(), 'a limited read token reads only these sources'),
        projections: list(str()),
        queries: list(str()),
        fixed: { type: 'object', additionalProperties: { type: 'string' } },
        expires: str('a duration, such as 30d, 12h or 90s'),
      },
      ['name', 'scope'],
    ),
    example: {
      name: 'partner-acme',
      scope: 'read',
      projections: ['orders'],
      fixed: { customer: 'acme' },
      expires: '30d',
    },
  },
  response: {
    201: {
      description: 'the token, and its record',
      schema: { allOf: [TOKEN, obj({ token: str('send it as Authorization: Bearer TOKEN') }, ['token'])] },
      example: {
        id: 'b7f3c9a0-1f2e-4d5c-8b6a-9e8d7c6b5a41',
        name: 'partner-acme',
        scope: 'read',
        limits: { projections: ['orders'], fixed: { customer: 'acme' } },
        createdAt: '2026-12-03T07:00:00.000Z',
        createdBy: 'ops',
        expiresAt: '2027-01-02T07:00:00.000Z',
        revokedAt: null,
        token: 'rt_4f9a0c2e7b1d48c6a3e5f7091b2d4c6e',
      },
    },
    400: errorResponse('the body is not a token’s description'),
  },
};

export const LIST_TOKENS_DOC: RouteDoc = {
  summary:
    'The tokens made with POST /v1/tokens or the CLI, revoked ones included (never the tokens themselves)',
  tags,
  response: { 200: { description: 'the tokens', schema: obj({ tokens: list(TOKEN) }, ['tokens']) } },
};

export const REVOKE_TOKEN_DOC: RouteDoc = {
  summary: 'Revokes a made token: it is refused from its next request on',
  tags,
  response: {
    204: { description: 'revoked' },
    404: errorResponse('no such token, or already revoked'),
  },
};
