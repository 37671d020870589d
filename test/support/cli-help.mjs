// Prints, as one JSON object, what the built CLI (bin/panoramix.js → dist/cli/main.js) writes for
// `panoramix <path> --help`, for every path given as a JSON array of word lists on argv[2]. One process runs
// them all, because the CLI takes half a second to load and the docs name some fifty command paths: main.js is
// imported afresh for each path (its dependencies stay loaded), with process.exit and the output captured.
const paths = JSON.parse(process.argv[2] ?? '[]');
const main = new URL('../../dist/cli/main.js', import.meta.url).href;
const results = {};
const realExit = process.exit;
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
const EXIT = Symbol('exit');
process.on('unhandledRejection', (err) => {
  if (err !== EXIT) throw err;
});
for (const [i, path] of paths.entries()) {
  let out = '';
  let code = null;
  const capture = (chunk) => {
    out += chunk;
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;
  process.exit = (c) => {
    code ??= c ?? 0;
    throw EXIT;
  };
  process.argv = [process.argv[0], 'panoramix', ...path, '--help'];
  await import(`${main}?path=${i}`);
  // The CLI's own catch runs after the exit it tried; let it settle before reading what was said.
  await new Promise((r) => setTimeout(r, 0));
  results[path.join(' ')] = { code, out };
}
process.stdout.write = realOut;
process.stderr.write = realErr;
process.exit = realExit;
process.stdout.write(JSON.stringify(results));
