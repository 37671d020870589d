import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load.js';

const error = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, 'p.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('fills defaults for an empty file', () => {
    const c = parseConfig('', 'p.yaml');
    expect(c.store).toEqual({ engine: 'duckdb', path: './data/panoramix.duckdb' });
    expect(c.server.bodyLimit).toBe(10 * 1024 * 1024);
  });

  it('names the file, line and column of a wrong value', () => {
    expect(error('server:\n  port: "eighty"\n')).toBe(
      'p.yaml:2:9: server.port: expected number, received string',
    );
    expect(error('server:\n  bodyLimit: lots\n')).toBe(
      'p.yaml:2:14: server.bodyLimit: "lots" is not a size (write e.g. 10mb, 512kb or a number of bytes)',
    );
    expect(error('sources:\n  web:\n    writeKeys: [short]\n')).toBe(
      'p.yaml:3:17: sources.web.writeKeys.0: a write key must be at least 8 characters',
    );
  });

  it('points at an unknown key and at YAML syntax errors', () => {
    expect(error('store:\n  engine: duckdb\n  pth: x\n')).toBe('p.yaml:3:3: store: unknown setting "pth"');
    expect(error('server:\n  port: [1,\n')).toMatch(/^p\.yaml:\d+:\d+: YAML syntax: /);
  });

  it("points at a projection's expression that does not compile, for either engine", () => {
    for (const engine of ['duckdb', 'postgres']) {
      const text = `store:\n  engine: ${engine}\nprojections:\n  p:\n    shape: latest\n    key: { k: "subject +" }\n    columns:\n      c: { expr: nosuch(x) }\n`;
      expect(error(text)).toMatch(/^p\.yaml:6:\d+: projections\.p\.key\.k: .* in expression "subject \+"/);
      expect(error(text.replace('subject +', 'subject'))).toMatch(
        /^p\.yaml:8:\d+: projections\.p\.columns\.c\.expr: .* in expression "nosuch\(x\)"/,
      );
    }
  });

  it('substitutes environment variables and names a missing one', () => {
    const c = parseConfig('sources:\n  web:\n    writeKeys: ["${WK}"]\n', 'p.yaml', { WK: 'secret-key-1' });
    expect(c.sources.web!.writeKeys).toEqual(['secret-key-1']);
    expect(error('sources:\n  web:\n    writeKeys: ["${WK}"]\n')).toBe(
      'p.yaml:3:17: sources.web.writeKeys.0: environment variable WK is not set',
    );
  });
});
