import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { starterConfig } from '../src/cli/commands/init.js';
import { generatedFiles, referenceRows, SCHEMA_FILE } from '../src/config/reference.js';

// panoramix.schema.json and docs/configuration.md are generated from the zod schema the loader validates with;
// this test is what keeps the committed files equal to it, and the schema true to the files users write.
const ROOT = path.resolve(import.meta.dirname, '..');
const files = generatedFiles();
const schema = JSON.parse(files[SCHEMA_FILE]!) as Record<string, unknown>;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

describe('the configuration reference', () => {
  it('is what `npm run schema` writes from the zod schema (run it after changing a config schema)', () => {
    for (const [file, text] of Object.entries(files))
      expect(fs.readFileSync(path.join(ROOT, file), 'utf8'), `${file} is stale: run npm run schema`).toBe(
        text,
      );
  });

  it('describes every key', () => {
    const rows = referenceRows(schema);
    expect(rows.length).toBeGreaterThan(150);
    expect(rows.filter((r) => !r.description).map((r) => r.path)).toEqual([]);
    for (const key of ['sources.<name>.nats.batchMs', 'sources.<name>.mqtt.batch', 'lake.s3.forcePathStyle'])
      expect(rows.find((r) => r.path === key)?.description, key).toBeTruthy();
    expect(rows.find((r) => r.path === 'lifecycles.<name>.testTraffic.enabled')?.default).toBe('false');
    // A value zod transforms (a size, a duration) keeps its default as written in YAML.
    expect(rows.find((r) => r.path === 'server.bodyLimit')?.default).toBe('"10mb"');
  });

  it('accepts every example project and the starter file, and refuses a misspelled key', () => {
    // Every project file of the examples (examples/deploy/embedded.yaml too); compose.yaml is Docker's.
    const projects = fs
      .readdirSync(path.join(ROOT, 'examples'))
      .flatMap((d) =>
        fs.statSync(path.join(ROOT, 'examples', d)).isDirectory()
          ? fs.readdirSync(path.join(ROOT, 'examples', d)).map((f) => path.join(ROOT, 'examples', d, f))
          : [],
      )
      .filter((f) => f.endsWith('.yaml') && !f.endsWith('compose.yaml'));
    expect(projects.length).toBeGreaterThanOrEqual(5);
    for (const f of projects) {
      const ok = validate(parse(fs.readFileSync(f, 'utf8')));
      expect(ok ? [] : validate.errors, path.relative(ROOT, f)).toEqual([]);
    }
    expect(validate(parse(starterConfig('at_0123456789abcdef', SCHEMA_FILE)))).toBe(true);
    expect(validate({ server: { bodyLimt: '5mb' } })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', instancePath: '/server' });
  });

  it("is named on the starter file's first line, as editors read it", () => {
    const first = starterConfig('at_0123456789abcdef', '../panoramix.schema.json').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=../panoramix.schema.json');
  });
});
