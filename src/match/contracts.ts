import type { Ingest } from '../collect/ingest.js';
import type { MatchingConfig } from './config.js';
import { checkTransactionEvent, EVENT_TYPES, SIDES } from './transaction.js';

/** Makes transaction events sent through any intake pass the same checks as imported ones. */
export function registerTransactionContracts(ingest: Ingest, config: MatchingConfig): void {
  for (const side of SIDES) ingest.contract(EVENT_TYPES[side], (e) => checkTransactionEvent(side, e, config));
}
