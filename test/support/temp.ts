import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory for one test; removed by the caller's cleanup when the test passed. */
export function tempDir(prefix = 'panoramix-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
