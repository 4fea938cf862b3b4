/**
 * A TCP proxy in front of a real peer that forwards every byte both ways and
 * keeps what the clients sent, so a test can read the HTTP requests as they
 * went on the wire (headers a library adds included). It fakes nothing.
 */
import net from 'node:net';

export class RecordingProxy {
  readonly port: number;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #sent: Buffer[] = [];

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(targetPort: number): Promise<RecordingProxy> {
    let proxy: RecordingProxy | undefined;
    const server = net.createServer((client) => {
      if (!proxy) return client.destroy();
      const self = proxy;
      const upstream = net.connect(targetPort, '127.0.0.1');
      self.#track(client);
      self.#track(upstream);
      // Recorded in arrival order over all connections; with one request in
      // flight at a time (as in the tests) that is the order they were sent.
      client.on('data', (chunk: Buffer) => self.#sent.push(chunk));
      client.pipe(upstream).pipe(client);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new RecordingProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Everything the clients sent so far, as text (HTTP/1.1 requests). */
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
    socket.on('error', () => socket.destroy());
  }
}
