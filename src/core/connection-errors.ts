// Socket-level failures: the service is down, restarting, or the link between us dropped.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_REFUSED',
  // mysql2: the server closed the connection (restart, network drop, wait_timeout).
  'PROTOCOL_CONNECTION_LOST',
]);

/**
 * Whether an error says a dependency cannot be reached now (worth retrying with backoff), as opposed to a
 * mistake that retrying will not fix (a wrong password, a missing database, a bad query).
 * PostgreSQL's own classes: 08 (connection exception) and 57P01–57P03 (shutting down, starting up).
 */
export function isConnectionError(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
        message,
      )
    )
      return true;
    e = e.cause as typeof e;
  }
  // AggregateError (a host with several addresses, each refused).
  if (err instanceof AggregateError) return err.errors.some(isConnectionError);
  return false;
}
