import type { GenerateOptions, Generator } from './generator.js';
import { Random } from './random.js';
import { TimeQueue } from './time-queue.js';

/** Mars's stages, in order. */
export const MARS_STAGES = [
  'MESSAGE_CREATED',
  'MESSAGE_REACHED_BACKEND',
  'MESSAGE_IN_SEARCH_QUEUE',
  'MESSAGE_IN_UPDATES_QUEUE',
  'MESSAGE_IN_WS_QUEUE',
  'MESSAGE_REACHED_FRONTEND',
] as const;

/**
 * Message lifecycle events in Mars's shape {app_id, message_id, event, created_at}: each message walks the
 * stages with small delays; some lose a stage on the way (about 5%), some stop early (3%), some fail
 * (MESSAGE_FAILED, 1%), a few stages are emitted twice, and delivery is shuffled a little so events arrive out
 * of order. Reproducible by seed.
 */
export const messagesGenerator: Generator = {
  name: 'messages',
  description:
    'Mars message lifecycles: MESSAGE_CREATED … MESSAGE_REACHED_FRONTEND, with lost, late and repeated events',
  *generate({ count, seed, start }: GenerateOptions) {
    const rnd = new Random(seed);
    const apps = ['chat', 'mail', 'push', 'sms'];
    const out = new TimeQueue<Record<string, unknown>>();
    let t = start;
    for (let i = 0; i < count; i++) {
      t += Math.round(rnd.exp(200));
      const id = `msg-${seed}-${i + 1}`;
      const app = rnd.pick(apps);
      const stop = rnd.chance(0.03) ? rnd.int(1, MARS_STAGES.length - 1) : MARS_STAGES.length;
      const lost = rnd.chance(0.05) ? rnd.int(1, MARS_STAGES.length - 1) : -1;
      let at = t;
      for (let s = 0; s < stop; s++) {
        at += rnd.int(5, 800);
        if (s === lost) continue;
        const ev = {
          app_id: app,
          message_id: id,
          event: MARS_STAGES[s],
          created_at: new Date(at).toISOString(),
        };
        // Arrival order is shuffled by up to a second, so stages can arrive before earlier ones.
        out.push(at + rnd.int(0, 1000), ev);
        if (rnd.chance(0.01))
          out.push(at + rnd.int(0, 2000), { ...ev, created_at: new Date(at + 1).toISOString() });
      }
      if (rnd.chance(0.01))
        out.push(at + 500, {
          app_id: app,
          message_id: id,
          event: 'MESSAGE_FAILED',
          created_at: new Date(at + 400).toISOString(),
        });
      while (out.peekTime() <= t) yield out.pop()!;
    }
    while (out.size > 0) yield out.pop()!;
  },
};
