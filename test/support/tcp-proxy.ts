import net from 'node:net';

/**
 * A TCP proxy of the test's own on loopback, between Panoramix and a real service, so a test can cut
 * the connection (and refuse new ones) for a while without touching the machine's service itself.
 *
 *   const proxy = await startTcpProxy('127.0.0.1', 5672);
 *   // point Panoramix at amqp://guest:guest@127.0.0.1:${proxy.port}
 *   proxy.cut();          // destroys every open connection and refuses new ones
 *   proxy.heal();         // accepts connections again
 *   await proxy.cutFor(3000);
 */
export interface TcpProxy {
  readonly port: number;
  /** A URL with the proxy's host:port in place of the target's, e.g. for `amqp://u:p@host:5672/v`. */
  url(targetUrl: string): string;
  cut(): void;
  heal(): void;
  cutFor(ms: number): Promise<void>;
  /** Connections accepted since the start (a reconnect shows as a new one). */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  let accepted = 0;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    down = true;
    // resetAndDestroy sends an RST where the platform has it, as a dropped link or a restarted peer would.
    for (const s of open) (s.resetAndDestroy ?? s.destroy).call(s);
    open.clear();
  };
  return {
    port,
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    heal() {
      down = false;
    },
    async cutFor(ms) {
      cut();
      await new Promise((r) => setTimeout(r, ms));
      down = false;
    },
    get accepted() {
      return accepted;
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
