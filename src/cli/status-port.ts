import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ConnectionWatch } from '../core/connection-watch.js';
import type { Runtime } from '../runtime.js';
import { createStatusApp } from '../serve/status-app.js';
import { wholeNumber } from './arguments.js';
import { listenWhileStarting, type StartingServer } from './starting-server.js';

/** Options of the processes without an API: where their /status and /metrics listen, when asked. */
export interface StatusPortOptions {
  readonly statusPort?: number;
  readonly statusHost: string;
}

export function withStatusPort(command: Command): Command {
  return command
    .option('--status-port <port>', 'serve /status and /metrics on this port (off by default)', wholeNumber)
    .option('--status-host <host>', 'address for --status-port', '127.0.0.1');
}

/**
 * Listens at once when --status-port is given (503 naming the store while it is out of reach), then serves the
 * status app on the same socket once the runtime is open; answers what to close on stop.
 */
export class StatusPort {
  private constructor(
    private starting: StartingServer | undefined,
    private readonly logger: Logger,
  ) {}

  static async open(opts: StatusPortOptions, waiting: ConnectionWatch, logger: Logger): Promise<StatusPort> {
    const starting =
      opts.statusPort === undefined
        ? undefined
        : await listenWhileStarting({ host: opts.statusHost, port: opts.statusPort }, waiting);
    return new StatusPort(starting, logger);
  }

  async serve(runtime: Runtime): Promise<void> {
    if (!this.starting) return;
    const app = await createStatusApp(runtime);
    await app.ready();
    this.starting.handOver(app.routing);
    this.logger.info({ address: this.starting.address }, `status and metrics on ${this.starting.address}`);
  }

  close(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    return starting?.close() ?? Promise.resolve();
  }
}
