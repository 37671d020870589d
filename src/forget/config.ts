import { z } from 'zod';

/**
 * How an erasure treats what is not plain event data. Matching transactions are financial records, which
 * bookkeeping law usually requires to keep for years: by default an erasure leaves them (and says so in its
 * audit record); `transactions: erase` removes the subject's payments and scheme transactions and their matches.
 */
export const erasureSchema = z
  .object({
    transactions: z
      .enum(['keep', 'erase'])
      .default('keep')
      .describe(
        'Matching transactions of an erased subject: keep (financial records; the default) or erase them and their matches.',
      ),
    refreshSeconds: z
      .number()
      .positive()
      .default(10)
      .describe(
        'How often each process re-reads the suppression list (an erasure made elsewhere reaches it within this time).',
      ),
  })
  .strict();

export type ErasureConfig = z.infer<typeof erasureSchema>;

/** What one erasure request removes: a subject, optionally narrowed by source, type and event time. */
export interface ErasureScope {
  readonly subject: string;
  readonly source?: string;
  readonly type?: string;
  /** Events at or after this time (epoch ms). */
  readonly since?: number;
  /** Events before this time (epoch ms). */
  readonly until?: number;
  /** Refuse the subject's new events from now on (default true). */
  readonly suppress: boolean;
}
