import { type Logger, pino } from 'pino';

/** JSON-lines logs on stderr (stdout stays free for command output); secrets are redacted by path. */
export function createLogger(level = process.env.PANORAMIX_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: [
          'req.headers.authorization',
          '*.writeKeys',
          '*.readTokens',
          '*.adminTokens',
          '*.metricsToken',
          '*.password',
          'url',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
