import { z } from 'zod';
import { parseDuration } from '../core/time.js';

const stage = z.string().min(1);
const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 10m, 2h or 14d');

export const lifecycleSchema = z
  .object({
    description: z.string().optional().describe('What the lifecycle follows.'),
    sources: z
      .array(z.string())
      .optional()
      .describe(
        'Which events belong, by source (omitted: any source); their types must be stages or terminal stages.',
      ),
    key: z
      .string()
      .regex(
        /^(subject|data(\.[A-Za-z0-9_-]+)+)$/,
        'key is subject or a payload path such as data.message_id',
      )
      .default('subject')
      .describe('The message id: subject, or a payload path such as data.message_id.'),
    app: z
      .string()
      .regex(/^data(\.[A-Za-z0-9_-]+)+$/, 'app is a payload path such as data.app_id')
      .optional()
      .describe('The app (or tenant) a message belongs to, for per-app statistics: a payload path.'),
    stages: z.array(stage).min(1).describe('The expected stages (event types), in order.'),
    terminal: z
      .array(stage)
      .default([])
      .describe('Stages that end a lifecycle early (bounced, failed): later stages are then not missing.'),
    deadlines: z
      .record(
        stage,
        z
          .object({
            after: stage.describe('The stage the deadline counts from.'),
            within: duration.describe('How long after it the stage is due, e.g. 1m.'),
          })
          .strict()
          .describe('The deadline of one stage.'),
      )
      .default({})
      .describe('Per stage, a deadline after another stage: delivered: { after: sent, within: 10m }.'),
    retention: duration
      .default('14d')
      .describe(
        'Records older than this (by last event) are removed by a daily job; the events stay in the store.',
      ),
    testTraffic: z
      .object({
        enabled: z.boolean().default(false).describe('Serve /api/create_event for this lifecycle.'),
        messages: z
          .number()
          .int()
          .positive()
          .max(1000)
          .default(10)
          .describe('Messages generated per call (at most 1,000).'),
      })
      .strict()
      .default({ enabled: false, messages: 10 })
      .describe(
        "Mars's test-traffic endpoint, /api/create_event: generated messages through the normal intake.",
      ),
  })
  .strict()
  .describe('A lifecycle: the stages a message goes through, deadlines, and which events belong.')
  .superRefine((lc, ctx) => {
    const all = new Set([...lc.stages, ...lc.terminal]);
    for (const [s, d] of Object.entries(lc.deadlines)) {
      if (!all.has(s))
        ctx.addIssue({ code: 'custom', path: ['deadlines', s], message: `${s} is not one of the stages` });
      if (!all.has(d.after))
        ctx.addIssue({
          code: 'custom',
          path: ['deadlines', s, 'after'],
          message: `${d.after} is not one of the stages`,
        });
    }
  });

export const lifecyclesSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'lifecycle names are letters, digits and _'),
    lifecycleSchema,
  )
  .default({});

export type LifecycleConfig = z.infer<typeof lifecycleSchema>;
