import { describe, expect, it } from 'vitest';
import { testApp } from './support/runtime.js';

// Behind a TLS-terminating proxy, the client's address and scheme come from X-Forwarded-For and
// X-Forwarded-Proto, but only when the request comes from a proxy server.trustProxy names.
async function seen(yaml: string, remoteAddress: string): Promise<{ ip: string; protocol: string }> {
  const { app, runtime } = await testApp(yaml);
  let seen = { ip: '', protocol: '' };
  app.addHook('onRequest', async (req) => {
    seen = { ip: req.ip, protocol: req.protocol };
  });
  try {
    await app.inject({
      url: '/status',
      remoteAddress,
      headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
    });
    return seen;
  } finally {
    await app.close();
    await runtime.close();
  }
}

describe('server.trustProxy', () => {
  it('believes forwarded headers from the configured proxy only', async () => {
    const proxied = 'server:\n  trustProxy: 127.0.0.1\n';
    expect(await seen(proxied, '127.0.0.1')).toEqual({ ip: '203.0.113.7', protocol: 'https' });
    expect(await seen(proxied, '198.51.100.9')).toEqual({ ip: '198.51.100.9', protocol: 'http' });
    // The default believes nobody: a client cannot choose its own address.
    expect(await seen('', '127.0.0.1')).toEqual({ ip: '127.0.0.1', protocol: 'http' });
  });
});
