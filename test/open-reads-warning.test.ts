import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/compose.js';
import { parseConfig } from '../src/config/load.js';
import { createApp } from '../src/serve/app.js';
import { tempDir } from './support/temp.js';

// The README says an empty server.readTokens leaves reads open "logged as a warning": an operator who forgot
// the tokens must be told at start, not find out from a stranger.
async function warningsAtStart(yaml: string): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const dir = tempDir();
  const config = parseConfig(`store:\n  path: ${path.join(dir, 'store.duckdb')}\n${yaml}`);
  const runtime = await createRuntime(config, dir, pino({ level: 'warn' }, sink));
  const app = await createApp(runtime);
  await app.close();
  await runtime.close();
  return lines.map((l) => JSON.parse(l).msg as string);
}

describe('open reads', () => {
  it('are logged as a warning when no read token is set, and only then', async () => {
    const source = 'sources:\n  web: { writeKeys: [wk_0123456789] }\n';
    expect((await warningsAtStart(source)).filter((m) => /readTokens/.test(m))).toHaveLength(1);
    const closed = await warningsAtStart(`${source}server:\n  readTokens: [rt_0123456789]\n`);
    expect(closed.filter((m) => /readTokens/.test(m))).toEqual([]);
  });
});
