import { z } from 'zod';
import { parseDuration } from '../core/time.js';

const stage = z.string().min(1);
const duration = z
  .string()
  .refine((s) => !Number.isNaN(parseDuration(s)), 'must be a duration such as 10m, 2h or 14d');

export const lifecycleSchema = z
  .object({
    description: z.string().optional(),
    /** Which events belong: by source (default: any) and type (default: every stage and terminal stage). */
    sources: z.array(z.string()).optional(),
    /** The message id: subject (default) or a payload path such as data.message_id. */
    key: z
      .string()
      .regex(
        /^(subject|data(\.[A-Za-z0-9_-]+)+)$/,
        'key is subject or a payload path such as data.message_id',
      )
      .default('subject'),
    /** The app (or tenant) a message belongs to, for per-app statistics: a payload path. */
    app: z
      .string()
      .regex(/^data(\.[A-Za-z0-9_-]+)+$/, 'app is a payload path such as data.app_id')
      .optional(),
    /** The expected stages, in order. */
    stages: z.array(stage).min(1),
    /** Stages that end a lifecycle early (bounced, failed): later stages are then not missing. */
    terminal: z.array(stage).default([]),
    /** Per-stage deadlines: `delivered: { after: sent, within: 10m }`. */
    deadlines: z.record(stage, z.object({ after: stage, within: duration }).strict()).default({}),
    /** Records older than this (by last event) are removed by a daily job; events stay in the store. */
    retention: duration.default('14d'),
    /** Mars's /api/create_event: generate test traffic for this lifecycle. Off unless enabled. */
    testTraffic: z
      .object({
        enabled: z.boolean().default(false),
        messages: z.number().int().positive().max(1000).default(10),
      })
      .strict()
      .default({ enabled: false, messages: 10 }),
  })
  .strict()
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
