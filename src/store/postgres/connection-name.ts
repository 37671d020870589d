/** The PostgreSQL pool's name in /status, /metrics and the log lines (also while a process waits for it). */
export const STORE_CONNECTION = 'store (PostgreSQL)';
