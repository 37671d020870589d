// A benchmark's command line (after `npm run bench -- NAME`): --quick, and numeric options such as --runs 3.
const args = process.argv.slice(2);

/** A short run, for trying a benchmark out. */
export const quick = args.includes('--quick');

/** The number after --name, or the fallback; a value that is not a number stops the benchmark. */
export function opt(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isFinite(n))
    throw new Error(`--${name} needs a number, not ${JSON.stringify(args[i + 1] ?? '')}`);
  return n;
}
