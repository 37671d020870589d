import type { Generator } from './generator.js';
import { messagesGenerator } from './messages.js';
import { ordersGenerator } from './orders.js';
import { transactionsGenerator } from './transactions.js';

/** Every generator by name; features add theirs here. */
export const GENERATORS: Readonly<Record<string, Generator>> = {
  orders: ordersGenerator,
  messages: messagesGenerator,
  transactions: transactionsGenerator,
};
