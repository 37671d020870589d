#!/usr/bin/env node
// The CLI entry point; the code lives in dist/ (built by `npm run build`, run by `npm ci` through `prepare`).
import('../dist/cli/main.js').catch((err) => {
  process.stderr.write(`panoramix: ${err?.stack ?? err}\n`);
  process.exit(1);
});
