/**
 * A crash point for tests: when PANORAMIX_FAILPOINT names this point, the process kills itself here with
 * SIGKILL, as a power cut would (FoundationDB and TiKV test their recovery the same way). Unset, it costs a
 * property read.
 */
export function failpoint(name: string): void {
  if (process.env.PANORAMIX_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
