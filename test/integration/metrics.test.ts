/**
 * GET /metrics after a known sequence of token requests: exact counter
 * values, bounded labels (no user name, no made-up service), the key gauges;
 * and metrics.addr, a port of their own, with /metrics gone from the main one.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { freePort } from '../helpers/net.js';
import { series } from '../helpers/prometheus.js';
import { getToken, startTestServer, type TestServer } from '../helpers/token-server.js';

const USER = 'metrics-user-zq';
const USERS = { registry: { [USER]: { password: 'zq-Secret-1', access: 'repository:linux/app:*;repository:linux/db:pull' } } };
const NOT_FOUND = { errors: [{ code: 'NOT_FOUND', message: 'no such endpoint' }] };

async function startWithUsers(document: Record<string, unknown> = {}): Promise<TestServer> {
  const server = await startTestServer({ storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }], ...document });
  await writeFile(path.join(server.dir, 'users.yml'), yaml.dump(USERS));
  return server;
}

async function text(url: string): Promise<{ status: number; type: string | null; cacheControl: string | null; body: string }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.text(),
  };
}

/** 2 full grants, 1 partial, 1 wrong password, 1 bad scope, 1 unknown service, 1 unknown path. */
async function knownSequence(server: TestServer): Promise<void> {
  const credentials: [string, string] = [USER, 'zq-Secret-1'];
  assert.equal((await getToken(server, 'service=registry&scope=repository:linux/app:pull', credentials)).status, 200);
  assert.equal((await getToken(server, 'service=registry&scope=repository:linux/db:pull', credentials)).status, 200);
  assert.equal((await getToken(server, 'service=registry&scope=repository:linux/db:pull,push', credentials)).status, 200);
  assert.equal((await getToken(server, 'service=registry&scope=repository:linux/app:pull', [USER, 'wrong'])).status, 401);
  assert.equal((await getToken(server, 'service=registry&scope=repository:linux/app:fly%20away', credentials)).status, 400);
  assert.equal((await getToken(server, `service=made-up-${USER}&scope=repository:linux/app:pull`, credentials)).status, 400);
  assert.equal((await text(`${server.url}/nowhere/${USER}`)).status, 404);
}

describe('metrics on the main port', () => {
  let server: TestServer;
  before(async () => {
    server = await startWithUsers();
  });
  after(() => server.close());

  test('exact counters after a known sequence, bounded labels, no user name', async () => {
    await knownSequence(server);
    const answer = await text(`${server.url}/metrics`);
    assert.equal(answer.status, 200);
    assert.equal(answer.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(answer.cacheControl, 'no-store');
    const body = answer.body;
    assert.equal(body.includes(USER), false, 'no user name in the metrics');
    assert.equal(body.includes('made-up'), false, 'no client-chosen service in the metrics');
    assert.equal(body.includes('nowhere'), false, 'no client-chosen path in the metrics');

    assert.deepEqual(series(body, 'vra_tokens_issued_total'), {
      '{service="registry",grant="password",partial="false"}': 2,
      '{service="registry",grant="password",partial="true"}': 1,
    });
    assert.deepEqual(series(body, 'vra_tokens_denied_total'), {
      '{service="registry",reason="UNAUTHORIZED"}': 1,
      // Refused before the service was taken in: "none".
      '{service="none",reason="INVALID_SCOPE"}': 1,
      '{service="none",reason="UNKNOWN_SERVICE"}': 1,
    });
    assert.deepEqual(series(body, 'vra_throttled_total'), {});
    // The scrape itself is counted after it is answered: not in its own text.
    assert.deepEqual(series(body, 'vra_http_request_duration_seconds_count'), {
      '{route="/auth",method="GET",status="2xx"}': 3,
      '{route="/auth",method="GET",status="4xx"}': 3,
      '{route="other",method="GET",status="4xx"}': 1,
    });
    // File store: no Vault metrics, no cache.
    assert.deepEqual(series(body, 'vra_vault_up'), {});
    assert.deepEqual(series(body, 'vra_vault_errors_total'), {});
    assert.deepEqual(series(body, 'vra_user_cache_requests_total'), {});

    const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    const kid = jwks.keys[0]?.kid;
    assert.deepEqual(series(body, 'vra_signing_key_info'), { [`{kid="${kid}",alg="ES256",role="active"}`]: 1 });
    const expiry = series(body, 'vra_signing_certificate_expiry_timestamp_seconds')[`{kid="${kid}"}`];
    const certificate = (await import('node:crypto')).X509Certificate;
    assert.equal(expiry, Date.parse(new certificate(server.certificatePem).validTo) / 1000);
    // prom-client's process metrics are there too.
    assert.equal(typeof series(body, 'process_cpu_user_seconds_total')[''], 'number');

    // The next scrape counts the first one (and the /jwks request).
    const again = series((await text(`${server.url}/metrics`)).body, 'vra_http_request_duration_seconds_count');
    assert.equal(again['{route="/metrics",method="GET",status="2xx"}'], 1);
    assert.equal(again['{route="/jwks",method="GET",status="2xx"}'], 1);
  });

  test('/healthz and /readyz with the file store', async () => {
    const live = await fetch(`${server.url}/healthz`);
    assert.deepEqual([live.status, live.headers.get('cache-control'), await live.json()], [200, 'no-store', { status: 'ok' }]);
    const ready = await fetch(`${server.url}/readyz`);
    assert.deepEqual(
      [ready.status, ready.headers.get('cache-control'), await ready.json()],
      [200, 'no-store', { status: 'ready', checks: { signing_key: 'ok', storage: 'ok' } }],
    );
  });
});

describe('metrics.addr: a port of their own', () => {
  let server: TestServer;
  let metricsUrl: string;
  before(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    server = await startWithUsers({ metrics: { addr: `127.0.0.1:${port}`, path: '/prometheus' } });
  });
  after(() => server.close());

  test('served on metrics.addr at metrics.path; the main port answers 404 JSON', async () => {
    await knownSequence(server);
    for (const where of ['/metrics', '/prometheus']) {
      const main = await fetch(`${server.url}${where}`);
      assert.deepEqual([main.status, await main.json()], [404, NOT_FOUND], where);
    }
    const answer = await text(`${metricsUrl}/prometheus`);
    assert.equal(answer.status, 200);
    assert.deepEqual(series(answer.body, 'vra_tokens_issued_total'), {
      '{service="registry",grant="password",partial="false"}': 2,
      '{service="registry",grant="password",partial="true"}': 1,
    });
    // The main port's paths: /metrics and /prometheus there are "other".
    assert.equal(series(answer.body, 'vra_http_request_duration_seconds_count')['{route="other",method="GET",status="4xx"}'], 3);
    const elsewhere = await fetch(`${metricsUrl}/metrics`);
    assert.deepEqual([elsewhere.status, await elsewhere.json()], [404, NOT_FOUND]);
  });
});

describe('metrics.enabled: false', () => {
  test('no /metrics, probes still there', async () => {
    const server = await startWithUsers({ metrics: { enabled: false } });
    try {
      const answer = await fetch(`${server.url}/metrics`);
      assert.deepEqual([answer.status, await answer.json()], [404, NOT_FOUND]);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
