import type { GenerateOptions, Generator } from './generator.js';
import { Random } from './random.js';
import { TimeQueue } from './time-queue.js';

const PRODUCTS = [
  'espresso machine',
  'grinder',
  'kettle',
  'french press',
  'milk frother',
  'scale',
  'filter papers',
  'mug',
];
const FIRST = [
  'Ada',
  'Brian',
  'Chloé',
  'Dmitri',
  'Eun-ji',
  'Farah',
  'Gus',
  'Hiroshi',
  'Inès',
  'Jamal',
  'Kasia',
  'Luis',
];
const LAST = [
  'Lovelace',
  'Kernighan',
  'Dupont',
  'Ivanov',
  'Kim',
  'Haddad',
  'Grissom',
  'Sato',
  'Moreau',
  'Okafor',
  'Nowak',
  'Soto',
];

/**
 * Order events in the orders-pipeline seed's own shape {id, type, timestamp, aggregate_id, data}:
 * customers register, order products; orders are accepted, then fulfilled or cancelled seconds to hours
 * later, and some stay where they are.
 */
export const ordersGenerator: Generator = {
  name: 'orders',
  description:
    'customers and orders: customer_registered, product_ordered, order_accepted|fulfilled|cancelled',
  *generate({ count, seed, start }: GenerateOptions) {
    const rnd = new Random(seed);
    const pending = new TimeQueue<Record<string, unknown>>();
    const customers: string[] = [];
    let t = start;
    let n = 0;
    const emit = (time: number, type: string, aggregateId: string, data: Record<string, unknown>) => {
      n++;
      pending.push(time, {
        id: `evt-${seed}-${n}`,
        type,
        timestamp: new Date(time).toISOString(),
        aggregate_id: aggregateId,
        data,
      });
    };
    for (let i = 0; i < count; i++) {
      t += Math.round(rnd.exp(4000));
      if (customers.length === 0 || rnd.chance(0.25)) {
        const id = `cust-${seed}-${customers.length + 1}`;
        customers.push(id);
        const birth = new Date(Date.UTC(rnd.int(1950, 2005), rnd.int(0, 11), rnd.int(1, 28)));
        emit(t, 'customer_registered', id, {
          name: `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`,
          birthdate: birth.toISOString().slice(0, 10),
        });
        t += rnd.int(1000, 60_000);
      }
      const order = `order-${seed}-${i + 1}`;
      emit(t, 'product_ordered', order, { customer_id: rnd.pick(customers), name: rnd.pick(PRODUCTS) });
      if (rnd.chance(0.9)) {
        const accepted = t + rnd.int(1000, 120_000);
        emit(accepted, 'order_accepted', order, {});
        const outcome = rnd.next();
        if (outcome < 0.7)
          emit(accepted + Math.round(rnd.exp(1_800_000)) + 1000, 'order_fulfilled', order, {});
        else if (outcome < 0.9)
          emit(accepted + Math.round(rnd.exp(900_000)) + 1000, 'order_cancelled', order, {});
      } else if (rnd.chance(0.5)) {
        emit(t + Math.round(rnd.exp(600_000)) + 1000, 'order_cancelled', order, {});
      }
      // Release what is due before the next order, so the stream stays in time order.
      while (pending.peekTime() <= t) yield pending.pop()!;
    }
    while (pending.size > 0) yield pending.pop()!;
  },
};
