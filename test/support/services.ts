import { describe } from 'vitest';

/** External services the integration tests use, by the environment variable that holds each URL. */
export const SERVICE_ENV = {
  postgres: 'PANORAMIX_TEST_POSTGRES_URL',
  mariadb: 'PANORAMIX_TEST_MARIADB_URL',
  nats: 'PANORAMIX_TEST_NATS_URL',
  rabbitmq: 'PANORAMIX_TEST_RABBITMQ_URL',
  mqtt: 'PANORAMIX_TEST_MQTT_URL',
  chromium: 'PANORAMIX_TEST_CHROMIUM',
} as const;

export type ServiceName = keyof typeof SERVICE_ENV;

/**
 * The URL of a service for a test, or undefined: then the suite is skipped with a visible message,
 * unless PANORAMIX_REQUIRE_SERVICES=1 (CI), where a missing service fails the run instead.
 */
export function serviceUrl(name: ServiceName): string | undefined {
  const v = process.env[SERVICE_ENV[name]];
  if (v) return v;
  if (process.env.PANORAMIX_REQUIRE_SERVICES === '1') {
    throw new Error(
      `${SERVICE_ENV[name]} is not set but PANORAMIX_REQUIRE_SERVICES=1: ${name} tests must run`,
    );
  }
  process.stderr.write(`\n[skip] ${name} tests skipped: set ${SERVICE_ENV[name]} to run them\n`);
  return undefined;
}

/** describe() that runs only when the service is configured (and fails in CI when it is not). */
export function describeWith(name: ServiceName, title: string, fn: (url: string) => void): void {
  const url = serviceUrl(name);
  if (url) describe(title, () => fn(url));
  else describe.skip(`${title} (skipped: ${SERVICE_ENV[name]} not set)`, () => {});
}
