import fs from 'node:fs';

/**
 * CPU seconds a process has used so far (user + system, all its threads), from /proc on Linux; NaN elsewhere.
 * On a machine shared with other work, throughput swings with the load; CPU per event much less.
 */
export function cpuSeconds(pid: number | undefined): number {
  const stat = procStat(String(pid));
  return stat ? stat.own : Number.NaN;
}

/**
 * CPU seconds of every process of these names (e.g. postgres, nats-server), with their children that exited
 * (a PostgreSQL backend's time moves to the postmaster's when it ends); a name absent counts 0.
 */
export function cpuSecondsByName(names: readonly string[]): Record<string, number> {
  const out = Object.fromEntries(names.map((n) => [n, 0]));
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = procStat(pid);
    if (stat && stat.name in out) out[stat.name]! += stat.own + stat.children;
  }
  return out;
}

// One process's /proc/PID/stat: its name, and its own and its exited children's CPU seconds.
function procStat(pid: string): { name: string; own: number; children: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return {
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      own: (Number(f[11]) + Number(f[12])) / 100,
      children: (Number(f[13]) + Number(f[14])) / 100,
    };
  } catch {
    return undefined; // gone meanwhile, or no /proc
  }
}
