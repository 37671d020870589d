import type { MatchBroker } from '../match/broker.js';
import { MatchingError } from '../match/errors.js';
import { type Matching, matchingOf } from '../match/service.js';
import type { Runtime } from '../runtime.js';
import { createLogger } from './logger.js';
import { fail, openProject } from './project.js';

/** Prints totals by status per side, one line each. */
export function printTotals(t: Record<string, Record<string, number>>): void {
  for (const [side, counts] of Object.entries(t))
    process.stdout.write(
      `${side}: ${
        Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ') || 'none'
      }\n`,
    );
}

/** Opens the project's matching (and RabbitMQ, when the command publishes), runs fn, closes. */
export async function withMatching(
  config: string,
  fn: (m: Matching, runtime: Runtime) => Promise<void>,
  options: { broker?: boolean } = {},
): Promise<void> {
  const runtime = await openProject(config, createLogger('warn'));
  let broker: MatchBroker | undefined;
  try {
    const m = await matchingOf(runtime);
    if (!m) fail('matching is not configured: add a matching: section to the project file');
    const rabbit = m.config.rabbitmq;
    if (options.broker && rabbit) {
      const { MatchBroker, queueNames } = await import('../match/broker.js');
      broker = await MatchBroker.connect(rabbit.url, queueNames(rabbit.prefix, m.config.export.queue)).catch(
        (err: Error) => fail(`cannot reach RabbitMQ (matching.rabbitmq.url): ${err.message}`),
      );
      m.attachBroker(broker);
    }
    await fn(m, runtime).catch((err: Error) => {
      if (err instanceof MatchingError) fail(err.message);
      throw err;
    });
  } finally {
    await broker?.close();
    await runtime.close();
  }
}
