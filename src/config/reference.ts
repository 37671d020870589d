import { z } from 'zod';
import { configSchema } from './schema.js';

/** A JSON Schema node, as z.toJSONSchema writes them (only the keywords read here). */
interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  [k: string]: unknown;
}

/** One documented key of panoramix.yaml. */
export interface ReferenceRow {
  path: string;
  type: string;
  default: string;
  required: boolean;
  description: string;
}

/** The file name the schema ships as, at the package root (editors read it through `$schema=` comments). */
export const SCHEMA_FILE = 'panoramix.schema.json';

/**
 * panoramix.yaml as a JSON Schema (draft 2020-12), from the zod schema the loader validates with, so the two
 * cannot disagree. The input side: what a user writes (`10mb`, `2h`), with defaults where zod has them.
 * Checks that need code (expressions compile, cron parses, `log` needs PostgreSQL) stay in the loader.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    // zod drops the default of a value it transforms (a duration, a size) from the input side; such keys carry
    // theirs as written in YAML, in meta({ yamlDefault }).
    override: (ctx) => {
      const j = ctx.jsonSchema as Record<string, unknown>;
      if (j.yamlDefault !== undefined) {
        j.default = j.yamlDefault;
        delete j.yamlDefault;
      }
      // The loader checks a value after ${ENV_VAR} is replaced; an editor sees it before, so a string that
      // names a variable passes the pattern (`url: "${DATABASE_URL}"`).
      if (j.type === 'string' && typeof j.pattern === 'string') j.pattern = `(${j.pattern})|\\$\\{`;
      // A value zod preprocesses from a string into an object (a token or { token, name }): either form.
      if (j.orString) {
        const { orString: _, description, ...object } = j;
        for (const k of Object.keys(j)) delete j[k];
        Object.assign(j, { description, anyOf: [{ type: 'string' }, object] });
      }
    },
  });
  return {
    $schema: schema.$schema,
    title: 'panoramix.yaml',
    description:
      'A Panoramix project: store, server, sources and features. Values may use ${ENV_VAR} or ${ENV_VAR:-default}.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** Every key of the schema, depth first, in the order the schema declares them. */
export function referenceRows(schema: Record<string, unknown>): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  walk(schema as Node, '', true, rows);
  return rows;
}

function row(node: Node, path: string, required: boolean): ReferenceRow {
  return {
    path,
    type: typeOf(node),
    default: node.default === undefined ? '' : JSON.stringify(node.default),
    required,
    description: (node.description ?? '').trim(),
  };
}

function walk(node: Node, path: string, required: boolean, rows: ReferenceRow[]): void {
  if (path) rows.push(row(node, path, required));
  const variants = (node.anyOf ?? node.oneOf ?? []).filter((v) => v.properties);
  if (variants.length > 1) walkVariants(variants, path, rows);
  else if (variants.length === 1) walkObject(variants[0]!, path, rows);
  if (node.properties) walkObject(node, path, rows);
  // A map's entries get rows of their own only when they are objects: `map of string` says the rest.
  const entry = node.additionalProperties;
  if (entry && typeof entry === 'object' && (entry.properties || entry.anyOf || entry.oneOf)) {
    const hasObject = entry.properties || (entry.anyOf ?? entry.oneOf ?? []).some((v) => v.properties);
    if (hasObject) walk(entry, `${path}.<name>`, false, rows);
  }
  if (node.items?.properties) walkObject(node.items, `${path}[]`, rows);
  else if (node.items?.anyOf?.some((v) => v.properties)) walk(node.items, `${path}[]`, false, rows);
}

function walkObject(node: Node, path: string, rows: ReferenceRow[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {}))
    walk(child, path ? `${path}.${key}` : key, node.required?.includes(key) ?? false, rows);
}

/**
 * A union of objects told apart by one constant key (projections' `shape`, datasources' `type`): the key once,
 * with every value; a key every variant has alike once; the others under the variant that has them.
 */
function walkVariants(variants: Node[], path: string, rows: ReferenceRow[]): void {
  const tag = Object.keys(variants[0]!.properties!).find((k) =>
    variants.every((v) => v.properties?.[k]?.const !== undefined),
  );
  const each = variants.map((v) => {
    const out: ReferenceRow[] = [];
    walkObject(
      { ...v, properties: Object.fromEntries(Object.entries(v.properties!).filter(([k]) => k !== tag)) },
      path,
      out,
    );
    return { name: tag ? `${tag}: ${String(v.properties![tag]!.const)}` : '', rows: out };
  });
  if (tag) {
    const first = variants[0]!.properties![tag]!;
    rows.push({
      ...row(first, `${path}.${tag}`, true),
      type: variants.map((v) => String(v.properties![tag]!.const)).join(' | '),
    });
  }
  const key = (r: ReferenceRow) => JSON.stringify([r.path, r.type, r.default, r.description]);
  const shared = new Set(
    each[0]!.rows.map(key).filter((k) => each.every((v) => v.rows.some((r) => key(r) === k))),
  );
  for (const r of each[0]!.rows) if (shared.has(key(r))) rows.push(r);
  for (const v of each)
    for (const r of v.rows)
      if (!shared.has(key(r))) rows.push({ ...r, path: v.name ? `${r.path} (${v.name})` : r.path });
}

/** A node's type in a few words: `string`, `integer`, `list of string`, `map of object`, `csv \| parquet`. */
export function typeOf(node: Node): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((e) => String(e)).join(' | ');
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' or ');
  const t = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
  if (t === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (t === 'object') {
    if (node.properties) return 'object';
    if (node.additionalProperties && typeof node.additionalProperties === 'object')
      return `map of ${typeOf(node.additionalProperties)}`;
    return 'object';
  }
  return t ?? 'any';
}

/** docs/configuration.md: every key with its type, default and meaning, one table per top-level key. */
export function configReference(schema: Record<string, unknown>): string {
  const rows = referenceRows(schema);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
  const out: string[] = [
    '# Configuration reference',
    '',
    "<!-- Generated by `npm run schema` from the zod schema (src/config/schema.ts and each feature's config.ts);",
    '     edit the .describe() texts there, not this page. test/config-reference.test.ts fails when it is stale. -->',
    '',
    `Every key of \`panoramix.yaml\`, from the same schema the loader validates with. The file is also shipped as`,
    `a JSON Schema, [\`${SCHEMA_FILE}\`](../${SCHEMA_FILE}), which \`panoramix init\` names on its first line`,
    '(`# yaml-language-server: $schema=…`) so editors complete and check keys as you type. Any string value may',
    "use `${ENV_VAR}` or `${ENV_VAR:-default}`; relative paths resolve against the file's folder. `<name>` stands",
    'for a name you choose; a key marked **required** must be set when its parent is.',
    '',
  ];
  const line = (r: ReferenceRow) =>
    `| \`${cell(r.path)}\`${r.required ? ' **required**' : ''} | ${cell(r.type)} | ${r.default ? `\`${cell(r.default)}\`` : ''} | ${cell(r.description)} |`;
  const sections = new Map<string, ReferenceRow[]>();
  for (const r of rows) {
    const top = r.path.split(/[.[ ]/)[0]!;
    sections.set(top, [...(sections.get(top) ?? []), r]);
  }
  for (const [top, [head, ...rest]] of sections) {
    out.push(`## ${top}`, '');
    if (head!.description) out.push(head!.description, '');
    // A section that is one value (project) is its own row; a section of keys lists them.
    const body = rest.length ? rest : [head!];
    out.push('| key | type | default | meaning |', '|---|---|---|---|', ...body.map(line), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The generated files, by path from the repository root: what `npm run schema` writes, what the test compares. */
export function generatedFiles(): Record<string, string> {
  const schema = configJsonSchema();
  return {
    [SCHEMA_FILE]: `${JSON.stringify(schema, null, 2)}\n`,
    'docs/configuration.md': configReference(schema),
  };
}
