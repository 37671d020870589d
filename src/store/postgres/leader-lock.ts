import pg from 'pg';
import type { Logger } from 'pino';
import { type BackoffSettings, defaultBackoff } from '../../core/backoff.js';
import { ConnectionWatch, sleep } from '../../core/connection-watch.js';
import type { LeaderLease, LeaderLock as LeaderLockPort } from '../store.js';

// The batch leader's lock namespace; the second key is the project's schema, so that projects sharing a
// database (one schema each) each have their own leader.
const LEADER_LOCK = 0x706d7862;

/** The connection's name in the log lines (and /status, where a process shows it). */
export const LEADER_CONNECTION = 'leader lock (PostgreSQL)';

/** Options of the leader lock. */
export interface LeaderLockOptions {
  readonly url: string;
  readonly schema?: string;
  /** How often a follower tries for the lock, and a leader checks that its session is alive (ms). */
  readonly pollMs?: number;
  readonly backoff?: BackoffSettings;
}

/**
 * The batch leader lock: a PostgreSQL session advisory lock, held as long as its connection lives. If the
 * leader dies, its session ends and the next `batch` process polling for it takes over within `pollMs`.
 * If the leader's connection is lost, it has lost the lock too (the server released it with the session):
 * `lost` resolves, the caller stops its schedules and competes again. Nothing here exits the process.
 */
export class LeaderLock implements LeaderLockPort {
  readonly watch: ConnectionWatch;
  private readonly pollMs: number;

  constructor(
    private readonly options: LeaderLockOptions,
    logger: Logger,
  ) {
    this.pollMs = options.pollMs ?? 2000;
    this.watch = new ConnectionWatch(LEADER_CONNECTION, logger, options.backoff ?? defaultBackoff);
  }

  /** Waits until this process holds the lock; null when the signal aborted first. */
  async acquire(signal: AbortSignal): Promise<LeaderLease | null> {
    while (!signal.aborted) {
      const client = new pg.Client({ connectionString: this.options.url, keepAlive: true });
      let failure: Error | undefined;
      // A lost connection emits 'error' on the client: without a listener that would end the process.
      client.on('error', (err) => {
        failure ??= err;
      });
      try {
        await client.connect();
        this.watch.up();
        while (!signal.aborted) {
          if (failure) throw failure;
          const { rows } = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', this.keys());
          if (rows[0]?.ok) return this.lease(client);
          await sleep(this.pollMs, signal);
        }
      } catch (err) {
        await client.end().catch(() => undefined);
        await sleep(this.watch.failed(err), signal);
        continue;
      }
      await client.end().catch(() => undefined);
    }
    return null;
  }

  private keys(): [number, number] {
    return leaderLockKeys(this.options.schema);
  }

  // Watches the session that holds the lock: an error, its end, or a failed heartbeat means the lock is gone.
  // The heartbeat finds a connection that died without a word (a half-open TCP link) within pollMs or so.
  private lease(client: pg.Client): LeaderLease {
    let released = false;
    let resolveLost!: (err: Error) => void;
    const lost = new Promise<Error>((r) => {
      resolveLost = r;
    });
    const end = (err: Error) => {
      clearInterval(heartbeat);
      if (released) return;
      this.watch.down(err);
      resolveLost(err);
    };
    client.on('error', end);
    client.on('end', () => end(new Error('the leader lock connection ended')));
    // A heartbeat that is not answered in time counts as lost too: a silent network never errors, and the
    // server may already have ended the session (and given the lock to another process).
    const answerWithinMs = Math.max(5000, this.pollMs * 3);
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the leader lock session did not answer in ${answerWithinMs} ms`)),
          answerWithinMs,
        );
      });
      Promise.race([client.query('SELECT 1'), late])
        .catch((err: Error) => {
          end(err);
          client.end().catch(() => undefined);
        })
        .finally(() => {
          clearTimeout(timer);
          beating = false;
        });
    }, this.pollMs);
    heartbeat.unref();
    return {
      lost,
      release: async () => {
        released = true;
        clearInterval(heartbeat);
        await client.query('SELECT pg_advisory_unlock($1, $2)', this.keys()).catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  }
}

/** The two int4 keys of a project's leader lock (pg_locks shows them as classid and objid). */
export function leaderLockKeys(schema = ''): [number, number] {
  return [LEADER_LOCK, schemaKey(schema)];
}

// A stable 31-bit key for a schema name (FNV-1a), for the lock's second int4 key.
function schemaKey(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    h ^= schema.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}
