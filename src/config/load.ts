import fs from 'node:fs';
import path from 'node:path';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './schema.js';

/** A configuration error that names the file, the line and what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** A loaded configuration and where it came from (relative paths in it resolve against `dir`). */
export interface LoadedConfig {
  readonly config: Config;
  readonly file: string;
  readonly dir: string;
}

/** Reads and validates a panoramix.yaml; throws ConfigError with file and line on the first problem. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const text = fs.readFileSync(file, 'utf8');
  return { config: parseConfig(text, file, env), file, dir: path.dirname(path.resolve(file)) };
}

/** Validates configuration text; `file` only names the source in errors. */
export function parseConfig(
  text: string,
  file = 'panoramix.yaml',
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.linePos(offset);
  for (const e of doc.errors) {
    const p = at(e.pos[0]);
    throw new ConfigError(file, p.line, p.col, `YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(file, 1, 1, 'the file must be a mapping of settings');
  const interpolated = interpolate(raw, env, [], (p, msg) => fail(doc, at, file, p, msg));
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    fail(doc, at, file, issue.path as (string | number)[], describe(issue), unknown);
  }
  return result.data!;
}

function fail(
  doc: Document,
  at: (o: number) => { line: number; col: number },
  file: string,
  issuePath: (string | number)[],
  message: string,
  unknownKey?: string,
): never {
  const p = at(locate(doc, issuePath, unknownKey));
  const where = issuePath.length ? `${issuePath.join('.')}: ` : '';
  throw new ConfigError(file, p.line, p.col, `${where}${message}`);
}

/** The offset to report: an unknown key itself, else the value at the path, else its nearest existing parent. */
export function locate(doc: Document, issuePath: readonly (string | number)[], unknownKey?: string): number {
  if (unknownKey !== undefined) {
    const parent = issuePath.length === 0 ? doc.contents : doc.getIn(issuePath, true);
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === unknownKey);
      if (isScalar(pair?.key) && pair.key.range) return pair.key.range[0];
    }
  }
  for (let n = issuePath.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(issuePath.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return range[0];
  }
  return 0;
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return issue.message.startsWith('Invalid input: expected')
        ? `${issue.message.replace('Invalid input: ', '')}`
        : issue.message;
    default:
      return issue.message;
  }
}

// ${NAME} in a string value is replaced by the environment variable, so secrets stay out of the file.
function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  p: (string | number)[],
  onError: (p: (string | number)[], msg: string) => never,
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_m, k: string, fallback?: string) => {
        const v = env[k] ?? fallback;
        if (v === undefined) onError(p, `environment variable ${k} is not set`);
        return v;
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...p, i], onError));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, [...p, k], onError);
    return out;
  }
  return value;
}
