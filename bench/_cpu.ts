import fs from 'node:fs';

/**
 * CPU seconds a process has used so far (user + system, all its threads), from /proc on Linux; NaN elsewhere.
 * On a machine shared with other work, throughput swings with the load; CPU per event much less.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
