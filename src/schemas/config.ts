import { z } from 'zod';

const policy = z.enum(['reject', 'quarantine', 'flag']);

/** The tracking plan: JSON Schemas for `data` per event type, and what to do with events that break them. */
export const schemasSchema = z
  .object({
    /** What happens to an event whose data breaks its type's schema (per type overridable). */
    policy: policy.default('reject'),
    /** Types with no schema: allow them, flag them, or quarantine them. */
    unknownTypes: z.enum(['allow', 'flag', 'quarantine']).default('allow'),
    types: z
      .record(
        z.string(),
        z
          .object({
            /** A JSON Schema inline, or `file:` naming a JSON file relative to panoramix.yaml. */
            schema: z.record(z.string(), z.unknown()).optional(),
            file: z.string().optional(),
            policy: policy.optional(),
          })
          .strict()
          .refine(
            (t) => (t.schema === undefined) !== (t.file === undefined),
            'give exactly one of schema or file',
          ),
      )
      .default({}),
  })
  .strict();

export type SchemasConfig = z.infer<typeof schemasSchema>;
