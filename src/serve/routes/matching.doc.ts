import { STATUSES } from '../../match/queries.js';
import { errorResponse, type JsonSchema, type RouteDoc } from '../openapi/route-doc.js';
import { counts, int, list, nullable, obj, str } from '../openapi/schema-kit.js';

const tags = ['matching'];
const row: JsonSchema = { type: 'object', description: 'a row, its columns as stored' };
const whole = { type: 'string', pattern: '^[0-9]+$' };
const day = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  description: 'a date such as 2026-11-24',
};

const ERRORS = {
  400: errorResponse('a parameter or the body is not well formed'),
};
const FEED_ERRORS = {
  ...ERRORS,
  401: errorResponse('no write key of the matching source (matching.source), or one not valid'),
  403: errorResponse('a write key of another source'),
};

const OWNER = obj({ slug: str(), name: str() }, ['slug', 'name']);
const MERCHANT = obj(
  { identifier: str(), id_type: str(), provider: str(), scheme: str(), location: nullable(str()) },
  ['identifier', 'id_type', 'provider', 'scheme'],
);

/** GET and POST /v1/match/providers or /schemes, and DELETE …/:slug. */
export function ownerDocs(kind: 'provider' | 'scheme'): { list: RouteDoc; add: RouteDoc; remove: RouteDoc } {
  const plural = `${kind}s`;
  return {
    list: {
      summary: `The ${kind === 'provider' ? 'payment providers' : 'loyalty schemes'}`,
      tags,
      response: {
        200: {
          description: `the ${plural}`,
          schema: obj({ [plural]: list(OWNER) }, [plural]),
          example: { [plural]: [{ slug: kind === 'provider' ? 'acme-pay' : 'bonus-club', name: 'Acme' }] },
        },
      },
    },
    add: {
      summary: `Adds a ${kind} (reference data; a write key of the matching source)`,
      tags,
      body: {
        schema: obj({ slug: str(), name: str() }, ['slug']),
        example: { slug: 'acme-pay', name: 'Acme Pay' },
      },
      response: {
        201: { description: 'added', schema: obj({ slug: str() }), example: { slug: 'acme-pay' } },
        ...FEED_ERRORS,
      },
    },
    remove: {
      summary: `Removes a ${kind}`,
      tags,
      response: { 204: { description: 'removed' }, 404: errorResponse(`no such ${kind}`) },
    },
  };
}

export const MERCHANTS_DOC: RouteDoc = {
  summary: 'Merchant identifiers: which provider’s id of a merchant belongs to which scheme',
  tags,
  querystring: obj({ provider: str(), scheme: str(), limit: whole }),
  response: {
    200: {
      description: 'the identifiers',
      schema: obj({ merchants: list(MERCHANT) }, ['merchants']),
      example: {
        merchants: [
          {
            identifier: 'M-1001',
            id_type: 'mid',
            provider: 'acme-pay',
            scheme: 'bonus-club',
            location: null,
          },
        ],
      },
    },
  },
};

export const ADD_MERCHANTS_DOC: RouteDoc = {
  summary: 'Adds merchant identifiers: an object, a list of them, or CSV',
  tags,
  body: {
    contentTypes: ['application/json', 'text/csv'],
    schema: { anyOf: [MERCHANT, list(MERCHANT), { type: 'string', description: 'CSV with a header row' }] },
    example: [
      { identifier: 'M-1001', id_type: 'mid', provider: 'acme-pay', scheme: 'bonus-club', location: null },
    ],
  },
  response: {
    201: {
      description: 'how many were added',
      schema: obj({ added: { type: 'integer' } }, ['added']),
      example: { added: 1 },
    },
    ...FEED_ERRORS,
  },
};

export const REMOVE_MERCHANT_DOC: RouteDoc = {
  summary: 'Removes a merchant identifier',
  tags,
  response: { 204: { description: 'removed' }, 404: errorResponse('no such merchant identifier') },
};

const IMPORT_REPORT = obj(
  {
    matchGroup: str(),
    side: { enum: ['payment', 'scheme'] },
    owner: str(),
    records: int(),
    accepted: int(),
    duplicates: int('transactions already stored: no effect'),
    rejected: list(obj({ index: int(), error: str() }, ['error'])),
    alreadyImportedAs: str('this very file was imported before, as this group: nothing was imported'),
    error: str('the store could not take the batch: retry'),
  },
  ['matchGroup', 'side', 'owner', 'records', 'accepted', 'duplicates', 'rejected'],
);

export const IMPORT_DOC: RouteDoc = {
  summary: 'Imports a file of transactions of one side (payment or scheme) from one provider or scheme',
  description:
    'The file’s content is the body. The same content twice imports once (200, alreadyImportedAs).',
  tags,
  params: obj({ side: { enum: ['payment', 'scheme'] }, owner: str('the provider’s or scheme’s slug') }),
  querystring: obj({ name: str('the file’s name (its extension may say the format)') }),
  body: {
    contentTypes: ['text/csv', 'application/json', 'application/x-ndjson'],
    schema: { description: 'the records' },
    example: 'id,amount,merchant_id,time\nt-1,12.50,M-1001,2026-11-24T10:00:00Z\n',
  },
  response: {
    201: {
      description: 'imported',
      schema: IMPORT_REPORT,
      example: {
        matchGroup: 'g-2026-11-24-1',
        side: 'payment',
        owner: 'acme-pay',
        records: 1,
        accepted: 1,
        duplicates: 0,
        rejected: [],
      },
    },
    200: { description: 'this file was imported before: nothing imported', schema: IMPORT_REPORT },
    415: errorResponse('not CSV, JSON or NDJSON'),
    503: { description: 'the store could not take the batch (Retry-After)', schema: IMPORT_REPORT },
    ...FEED_ERRORS,
  },
};

export const IMPORTS_DOC: RouteDoc = {
  summary: 'The import log, newest first',
  tags,
  querystring: obj({ limit: whole }),
  response: { 200: { description: 'the imports', schema: obj({ imports: list(row) }, ['imports']) } },
};

export const SUMMARY_DOC: RouteDoc = {
  summary: 'What matching knows: totals per side and status, exports, check-ins, scheme rules, the broker',
  description: 'Without a matching: section in panoramix.yaml it answers {configured: false, message}.',
  tags,
  response: {
    200: {
      description: 'the summary',
      schema: {
        anyOf: [
          obj({ configured: { const: false }, message: str() }, ['configured', 'message']),
          obj(
            {
              configured: { const: true },
              totals: { type: 'object', additionalProperties: counts('by status'), description: 'by side' },
              exports: counts('exports by status'),
              checkins: list(row),
              schemes: {
                type: 'object',
                additionalProperties: { type: 'object' },
                description: 'each scheme’s rules',
              },
              rabbitmq: { enum: ['connected', 'disconnected', 'not configured'] },
            },
            ['configured', 'totals', 'exports', 'checkins', 'schemes', 'rabbitmq'],
          ),
        ],
      },
      example: {
        configured: false,
        message: 'matching is not configured (add a matching: section to panoramix.yaml)',
      },
    },
  },
};

export const COUNTS_DOC: RouteDoc = {
  summary: 'Counts per day and status (of one scheme, between two dates, if asked)',
  tags,
  querystring: obj({ scheme: str(), from: day, to: day }),
  response: { 200: { description: 'the counts', schema: obj({ counts: list(row) }, ['counts']) }, ...ERRORS },
};

export const TRANSACTIONS_DOC: RouteDoc = {
  summary:
    'Transactions of one side, by status, scheme and day, paged (payments with their candidates, if asked)',
  tags,
  querystring: obj({
    side: { enum: ['payment', 'scheme'], description: 'payment unless said' },
    status: { enum: [...STATUSES] },
    scheme: str(),
    day,
    limit: { ...whole, description: '1 to 1000; 50 unless said' },
    offset: whole,
    candidates: str('any value but 0: each payment’s candidate scheme transactions'),
  }),
  response: {
    200: {
      description: 'a page, and how many match',
      schema: obj({ total: int(), transactions: list(row) }, ['total', 'transactions']),
      example: { total: 1, transactions: [{ id: 1, status: 'matched', amount: 12.5 }] },
    },
    ...ERRORS,
  },
};

export const TRANSACTION_DOC: RouteDoc = {
  summary: 'One transaction, with its match',
  tags,
  params: obj({ side: { enum: ['payment', 'scheme'] }, id: whole }),
  response: {
    200: { description: 'the transaction', schema: row },
    404: errorResponse('no such transaction'),
    ...ERRORS,
  },
};

export const EXPORTS_DOC: RouteDoc = {
  summary: 'The exports of matches (to RabbitMQ), by status, paged',
  tags,
  querystring: obj({ status: str(), limit: whole, offset: whole }),
  response: {
    200: {
      description: 'a page, and how many match',
      schema: obj({ total: int(), exports: list(row) }, ['total', 'exports']),
    },
    ...ERRORS,
  },
};

const PASS = obj(
  {
    matched: int(),
    spotted: int(),
    ambiguous: int(),
    unmatched: int(),
    resolved: int('payments whose merchant became known in this pass'),
    rounds: int(),
    ms: { type: 'number' },
  },
  ['matched', 'ambiguous', 'unmatched'],
);
const PASS_EXAMPLE = { matched: 10, spotted: 0, ambiguous: 1, unmatched: 2, resolved: 0, rounds: 1, ms: 35 };

export const PASS_DOC: RouteDoc = {
  summary: 'Runs a matching pass now',
  tags,
  response: { 200: { description: 'what the pass did', schema: PASS, example: PASS_EXAMPLE } },
};

export const REMATCH_DOC: RouteDoc = {
  summary: 'Matches payments again (and runs a pass)',
  tags,
  body: { schema: obj({ ids: list({ type: 'integer' }) }, ['ids']), example: { ids: [1, 2] } },
  response: {
    200: {
      description: 'how many were reset, and the pass',
      schema: obj({ rematched: int(), pass: PASS }, ['rematched', 'pass']),
      example: { rematched: 2, pass: PASS_EXAMPLE },
    },
    ...ERRORS,
  },
};

export const FORCE_DOC: RouteDoc = {
  summary: 'Matches a payment by hand (to a scheme transaction, or to none)',
  tags,
  body: {
    schema: obj(
      {
        payment_id: { type: 'integer' },
        scheme_transaction_id: nullable({ type: 'integer' }),
        by: str('who decided (the token’s name unless said)'),
      },
      ['payment_id'],
    ),
    example: { payment_id: 1, scheme_transaction_id: 7 },
  },
  response: {
    201: {
      description: 'matched',
      schema: obj({ matched_transaction_id: { type: ['integer', 'string'] } }, ['matched_transaction_id']),
      example: { matched_transaction_id: 3 },
    },
    ...ERRORS,
  },
};

export const RETRY_EXPORTS_DOC: RouteDoc = {
  summary: 'Sends failed exports again (those named, or all)',
  tags,
  body: { required: false, schema: obj({ ids: list({ type: 'integer' }) }), example: { ids: [4] } },
  response: {
    200: { description: 'how many', schema: obj({ retried: int() }, ['retried']), example: { retried: 1 } },
    ...ERRORS,
  },
};

export const NOT_CONFIGURED_DOC: RouteDoc = {
  summary: 'Without a matching: section, every other /v1/match path answers 404 and says so',
  tags,
  response: { 404: errorResponse('matching is not configured') },
};
