import { z } from 'zod';

const HASHED = /^sha256:[0-9a-f]{64}$/;

/**
 * A token as the configuration holds it: the token itself, or `sha256:<64 hex digits>` (its SHA-256 digest,
 * from `panoramix token hash`) so the file holds no secret.
 */
export const tokenValue = z
  .string()
  .min(8, 'a token must be at least 8 characters')
  .refine((t) => !t.toLowerCase().startsWith('sha256:') || HASHED.test(t.toLowerCase()), {
    message: 'a hashed token is sha256: followed by 64 hex digits (panoramix token hash TOKEN)',
  });

/** A token given as a plain string, or as an object that names it (the name is what the audit log shows). */
function namedToken<T extends z.ZodRawShape>(extra: T) {
  return (
    z
      .preprocess(
        (v) => (typeof v === 'string' ? { token: v } : v),
        z
          .object({
            token: tokenValue.describe('The token, or sha256:<digest> (panoramix token hash TOKEN).'),
            name: z.string().min(1).optional().describe('A name for the audit log.'),
            ...extra,
          })
          .strict(),
      )
      // The JSON Schema of panoramix.yaml (src/config/reference.ts) also accepts the plain string form.
      .meta({ orString: true, description: 'A token, or { token, name } to name it in the audit log.' })
  );
}

/**
 * A read token: reads projections, queries, reports, events, lifecycles, the lake and the quarantine. Given any
 * of sources, projections, queries or fixed, it is limited: it reads only the events and quarantine of its
 * sources, its projections and its queries, always filtered by its fixed values (what is not listed is not
 * granted).
 */
export const readTokenSchema = namedToken({
  sources: z
    .array(z.string())
    .optional()
    .describe('Limits the token to the events and quarantine of these sources (docs/access.md).'),
  projections: z.array(z.string()).optional().describe('Limits the token to these projections.'),
  queries: z.array(z.string()).optional().describe('Limits the token to these named queries.'),
  fixed: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe(
      'Column (of projections) or parameter (of queries) → the only value this token sees; a request cannot widen it.',
    ),
});

/** An admin token: everything a read token may do, and everything that changes state. */
export const adminTokenSchema = namedToken({});

export type ReadTokenConfig = z.infer<typeof readTokenSchema>;
export type AdminTokenConfig = z.infer<typeof adminTokenSchema>;

/** True when a configured token is given as its digest rather than in clear. */
export function isHashed(token: string): boolean {
  return HASHED.test(token.toLowerCase());
}
