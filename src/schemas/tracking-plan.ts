import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { NewEvent } from '../core/event.js';
import type { SchemasConfig } from './config.js';

/** What the tracking plan says of one event. */
export type Verdict =
  | { readonly action: 'accept' }
  | { readonly action: 'flag'; readonly violations: string[] }
  | {
      readonly action: 'reject' | 'quarantine';
      readonly reason: 'schema' | 'unknown_type';
      readonly field: string;
      readonly error: string;
    };

/**
 * Checks each event's data against its type's JSON Schema (compiled once by Ajv at start). With no schemas
 * configured it is never consulted, so the ingest path pays nothing for it.
 */
export class TrackingPlan {
  private readonly validators = new Map<
    string,
    { validate: ValidateFunction; policy: 'reject' | 'quarantine' | 'flag' }
  >();

  constructor(
    private readonly config: SchemasConfig,
    baseDir: string,
  ) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const [type, t] of Object.entries(config.types)) {
      const schema =
        t.schema ?? (JSON.parse(fs.readFileSync(path.resolve(baseDir, t.file!), 'utf8')) as object);
      this.validators.set(type, { validate: ajv.compile(schema), policy: t.policy ?? config.policy });
    }
  }

  /** True when there is nothing to check (no schemas and unknown types allowed). */
  get empty(): boolean {
    return this.validators.size === 0 && this.config.unknownTypes === 'allow';
  }

  check(e: NewEvent): Verdict {
    const v = this.validators.get(e.type);
    if (!v) {
      if (this.config.unknownTypes === 'allow') return { action: 'accept' };
      if (this.config.unknownTypes === 'flag')
        return { action: 'flag', violations: [`type ${e.type} is not in the tracking plan`] };
      return {
        action: 'quarantine',
        reason: 'unknown_type',
        field: 'type',
        error: `type ${e.type} is not in the tracking plan`,
      };
    }
    if (v.validate(JSON.parse(e.data))) return { action: 'accept' };
    const errors = (v.validate.errors ?? []).map(
      (err) => `data${err.instancePath.replaceAll('/', '.')} ${err.message ?? 'is invalid'}`,
    );
    const field = `data${(v.validate.errors?.[0]?.instancePath ?? '').replaceAll('/', '.')}`;
    if (v.policy === 'flag') return { action: 'flag', violations: errors };
    return { action: v.policy, reason: 'schema', field, error: `${errors.join('; ')} (schema of ${e.type})` };
  }
}
