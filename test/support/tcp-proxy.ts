import { createServer, connect, type Server, type Socket } from 'node:net';

/** A client's connection and, once it is forwarded, its connection to the target. */
interface Relay {
  client: Socket;
  upstream: Socket | undefined;
}

/**
 * A TCP relay between the service and PostgreSQL that a test can cut and restore, to see what the
 * service does while its database is unreachable: refused (`down`) or silent (`swallow`).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly relays = new Set<Relay>();
  private swallowing = false;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const proxy = new TcpProxy(targetHost, targetPort, port);
    await proxy.up();
    return proxy;
  }

  /** Accepts connections again on the same port, and forwards again what `swallow` held. */
  async up(): Promise<void> {
    if (this.swallowing) {
      this.swallowing = false;
      for (const relay of this.relays) this.forward(relay);
    }
    if (this.server) return;
    this.server = createServer((client) => {
      const relay: Relay = { client, upstream: undefined };
      this.relays.add(relay);
      client.on('error', () => client.destroy());
      client.on('close', () => {
        this.relays.delete(relay);
        relay.upstream?.destroy();
      });
      if (this.swallowing) client.pause();
      else this.forward(relay);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /**
   * The database stops answering, as when packets are dropped: connections are still accepted and
   * kept open, and nothing is forwarded either way. What was sent waits in the sockets' buffers, as
   * TCP would retransmit it, until `up` forwards again.
   */
  swallow(): void {
    this.swallowing = true;
    for (const { client, upstream } of this.relays) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  private forward(relay: Relay): void {
    relay.upstream ??= this.connectUpstream(relay);
    relay.client.pipe(relay.upstream);
    relay.upstream.pipe(relay.client);
    relay.client.resume();
    relay.upstream.resume();
  }

  private connectUpstream(relay: Relay): Socket {
    const upstream = connect(this.targetPort, this.targetHost);
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => relay.client.destroy());
    return upstream;
  }

  /** Drops every open connection and refuses new ones: the database is "down". */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.swallowing = false;
    const closed = new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    for (const { client, upstream } of this.relays) {
      client.destroy();
      upstream?.destroy();
    }
    await closed;
  }
}
