import { z } from 'zod';

const policy = z.enum(['reject', 'quarantine', 'flag']);

/** The tracking plan: JSON Schemas for `data` per event type, and what to do with events that break them. */
export const schemasSchema = z
  .object({
    policy: policy
      .default('reject')
      .describe(
        "What happens to an event whose data breaks its type's schema: reject (an error, kept in quarantine), quarantine (held), flag (stored, violations recorded).",
      ),
    unknownTypes: z
      .enum(['allow', 'flag', 'quarantine'])
      .default('allow')
      .describe('Types with no schema: allow them, flag them, or quarantine them.'),
    types: z
      .record(
        z.string(),
        z
          .object({
            schema: z
              .record(z.string(), z.unknown())
              .optional()
              .describe("The type's JSON Schema for data, inline."),
            file: z
              .string()
              .optional()
              .describe('A JSON Schema file, relative to panoramix.yaml (instead of schema).'),
            policy: policy.optional().describe("This type's policy, instead of schemas.policy."),
          })
          .strict()
          .refine(
            (t) => (t.schema === undefined) !== (t.file === undefined),
            'give exactly one of schema or file',
          )
          .describe('A type of the tracking plan: exactly one of schema or file.'),
      )
      .default({})
      .describe('The event types that have a schema, by type.'),
  })
  .strict();

export type SchemasConfig = z.infer<typeof schemasSchema>;
