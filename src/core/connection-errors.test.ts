import { describe, expect, it } from 'vitest';
import { isConnectionError } from './connection-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionError', () => {
  it('is true for a service that cannot be reached, however the driver says it', () => {
    expect(isConnectionError(withCode('ECONNREFUSED'))).toBe(true);
    expect(isConnectionError(withCode('PROTOCOL_CONNECTION_LOST'))).toBe(true);
    expect(isConnectionError(withCode('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(isConnectionError(withCode('08006'))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('wrapped', { cause: withCode('ECONNRESET') }))).toBe(true);
    expect(isConnectionError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe(
      true,
    );
  });

  it('is false for mistakes that a retry does not fix', () => {
    expect(isConnectionError(withCode('28P01', 'password authentication failed'))).toBe(false);
    expect(isConnectionError(withCode('3D000', 'database "nope" does not exist'))).toBe(false);
    expect(isConnectionError(withCode('42P01', 'relation "t" does not exist'))).toBe(false);
    expect(isConnectionError(new Error('no lake table named x'))).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });
});
