/**
 * A TCP proxy in front of a real peer, to show what no real peer can on
 * demand: connections that are slow (`slow`), hang (`stall`) or are cut
 * (`cut`), and what a client really sent (headers a library adds included).
 * The only fake the tests use, and it fakes nothing of Vault's behaviour.
 */
import net from 'node:net';

export type ProxyMode = 'forward' | 'slow' | 'stall' | 'cut';

export class TcpProxy {
  readonly port: number;
  mode: ProxyMode = 'forward';
  /** Where new connections go; changing it moves the next ones (open ones stay), as a load balancer does. */
  targetPort = 0;
  /** In 'slow' mode, how long a new connection waits before it is forwarded. */
  delayMs = 0;
  #sent: Buffer[] = [];
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => {
      if (!proxy) return client.destroy();
      proxy.#track(client);
      if (proxy.mode === 'cut') return client.destroy();
      if (proxy.mode === 'stall') return; // accept, read, never answer
      if (proxy.mode === 'slow') {
        // A slow Vault: hold the connection (and what the client sends) for a while.
        const slow = proxy;
        client.pause();
        setTimeout(() => slow.#forward(client, slow.targetPort), slow.delayMs);
        return;
      }
      proxy.#forward(client, proxy.targetPort);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    proxy.targetPort = targetPort;
    return proxy;
  }

  #forward(client: net.Socket, targetPort: number): void {
    if (client.destroyed) return;
    const upstream = net.connect(targetPort, '127.0.0.1');
    this.#track(upstream);
    // Recorded in arrival order over all connections; with one request in
    // flight at a time (as in the tests) that is the order they were sent.
    client.on('data', (chunk: Buffer) => this.#sent.push(chunk));
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.resume();
  }

  /** Switches mode; every mode but 'forward' also drops every open connection. */
  set(mode: ProxyMode, delayMs = 0): void {
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode !== 'forward') for (const socket of this.#sockets) socket.destroy();
  }

  /** Everything forwarded from the clients so far, as text: the HTTP requests as they went on the wire. */
  sent(): string {
    return Buffer.concat(this.#sent).toString('latin1');
  }

  /** Forgets what was recorded (open connections stay open). */
  clear(): void {
    this.#sent = [];
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
  }
}
