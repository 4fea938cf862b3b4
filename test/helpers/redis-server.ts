/**
 * A real redis-server (Debian's, installed by scripts/install-peers.sh) on a
 * free loopback port, without persistence, for the throttle's shared
 * counters. Stopped by the test; `restart` brings it back on the same port.
 */
import { freePort, waitFor } from './net.js';
import { type Daemon, startDaemon } from './process.js';

export class RedisServer {
  private daemon: Daemon | null = null;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  static async start(binary: string): Promise<RedisServer> {
    const server = new RedisServer(binary, await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async restart(): Promise<void> {
    const daemon = startDaemon(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    this.daemon = daemon;
    await waitFor(
      `redis-server on port ${this.port}`,
      async () => {
        if (daemon.child.exitCode !== null) throw new Error(`redis-server exited: ${daemon.output()}`);
        return daemon.output().includes('Ready to accept connections');
      },
      10_000,
    );
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = null;
  }
}
