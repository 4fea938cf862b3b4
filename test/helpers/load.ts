/**
 * A steady load on a running server: `concurrency` loops, each sending one
 * request after the other over keep-alive connections, counting every
 * answer. A reload under this load must not fail a single request.
 */
import http from 'node:http';

export interface LoadResult {
  readonly answered: number;
  /** Each failure as text: `status 503 {...}` or a socket error's code. */
  readonly failures: readonly string[];
}

export interface Load {
  /** Answers so far (to wait until the load is really running). */
  answered(): number;
  /** Ends the loops after their current request and reports. */
  stop(): Promise<LoadResult>;
}

export function startLoad(url: string, headers: Readonly<Record<string, string>>, concurrency = 8): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const failures: string[] = [];
  let answered = 0;
  let stopping = false;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const request = http.get(url, { agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          answered += 1;
          if (response.statusCode !== 200) failures.push(`status ${response.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
          resolve();
        });
        response.on('error', (error: NodeJS.ErrnoException) => {
          failures.push(`response ${error.code ?? error.message}`);
          resolve();
        });
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        failures.push(`request ${error.code ?? error.message}`);
        resolve();
      });
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopping) await once();
  });
  return {
    answered: () => answered,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      agent.destroy();
      return { answered, failures };
    },
  };
}
