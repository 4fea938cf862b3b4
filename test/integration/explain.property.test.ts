/**
 * The same input gives the same grant in the server and in `explain`: for
 * random users, groups and access strings written to a user file, and
 * random requested scopes, the `access` claim of the token the server issues
 * over HTTP (GET or POST) is exactly what `explain --json` (the command, run
 * in-process on the same file) says is granted; and when one refuses the
 * request (a scope that does not parse, too many scopes, no such user), so
 * does the other. Both are the real code paths, nothing re-implemented.
 * fast-check, bounded runs: a few seconds. No peer needed.
 */
import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { registerExplain } from '../../src/cli/explain.js';
import { formatScope, type ResourceScope } from '../../src/domain/scope.js';
import { accessString, actionList, hostileString, nameSegment, requestedScopes, resourceType } from '../helpers/arbitraries.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { basic, claimsOf, startTestServer, type TestServer } from '../helpers/token-server.js';

let server: TestServer;
let usersFile: string;
let configFile: string;
/** Each run's user file gets its own modification time, so the store always reads it again. */
let version = 0;

before(async () => {
  const document = { storage: { file: { path: 'users.yml' } }, services: [{ name: 'registry' }], throttle: { enabled: false } };
  server = await startTestServer(document);
  usersFile = path.join(server.dir, 'users.yml');
  configFile = path.join(server.dir, 'config.yml');
  const token = { issuer: 'vra-test', expiration: 300, certificate: 'token.pem', key: 'token.key' };
  await writeFile(configFile, yaml.dump({ ...document, token }));
});
after(() => server.close());

const USER_NAMES = ['alice', 'bob', 'a*', '${account}', 'x.y'] as const;
const GROUP_NAMES = ['devs', 'ops', 'team-a', 'gone'] as const;

/** Short names from the access strings' vocabulary, so that requests and entries often meet. */
const shortName = fc
  .array(
    nameSegment.filter((segment) => segment !== ''),
    { minLength: 1, maxLength: 2 },
  )
  .map((segments) => segments.join('/'));

const goodScopes = fc
  .uniqueArray(fc.record({ type: resourceType, name: shortName, actions: actionList }), {
    minLength: 1,
    maxLength: 4,
    selector: (scope) => `${scope.type}:${scope.name}`,
  })
  .map((scopes) => scopes.map(formatScope).join(' '));

/** An access string: the shared generator's (patterns, bad entries), with exact short names mixed in. */
const access = fc
  .tuple(accessString, fc.array(fc.tuple(resourceType, shortName, actionList), { maxLength: 3 }))
  .map(([text, exact]) => [text, ...exact.map(([type, name, actions]) => `${type}:${name}:${actions.join(',')}`)].join(';'));

const scopeText: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: goodScopes },
  // Now and then scopes of any shape (an empty name among them), or text that does not parse (never an option for the command line).
  { weight: 1, arbitrary: requestedScopes.map((scopes) => scopes.map(formatScope).join(' ')) },
  { weight: 1, arbitrary: hostileString.filter((text) => !text.startsWith('-')) },
);

const users = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom(...USER_NAMES),
    access,
    groups: fc.uniqueArray(fc.constantFrom(...GROUP_NAMES), { maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 3, selector: (user) => user.name },
);

const world = users.chain((written) =>
  fc.record({
    users: fc.constant(written),
    // Every group but `gone` may exist.
    groups: fc.dictionary(fc.constantFrom('devs', 'ops', 'team-a'), access, { maxKeys: 3 }),
    // Mostly one of the users written, now and then anybody.
    asking: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...written.map((user) => user.name)) }, { weight: 1, arbitrary: fc.constantFrom(...USER_NAMES) }),
    scopes: fc.array(scopeText, { minLength: 1, maxLength: 3 }),
    method: fc.constantFrom('GET', 'POST'),
  }),
);

type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

async function writeUsers({ users, groups }: World): Promise<void> {
  const registry: Record<string, unknown> = Object.fromEntries(
    users.map(({ name, access, groups: memberOf }) => [name, { password: `pw-${name}`, access, groups: memberOf.join(',') }]),
  );
  registry._groups = Object.fromEntries(Object.entries(groups).map(([name, access]) => [name, { access }]));
  await writeFile(usersFile, yaml.dump({ registry }, { lineWidth: -1 }));
  version += 1;
  const at = new Date(Date.UTC(2020, 0, 1) + version * 1000);
  await utimes(usersFile, at, at);
}

/** The server's answer: the granted scopes, or the refusal's status. */
async function fromServer({ asking, scopes, method }: World): Promise<{ granted: string[] } | { status: number }> {
  const fields = new URLSearchParams({ service: 'registry' });
  for (const scope of scopes) fields.append('scope', scope);
  const response =
    method === 'GET'
      ? await fetch(`${server.url}/auth?${fields}`, { headers: { Authorization: basic(asking, `pw-${asking}`) } })
      : await fetch(`${server.url}/auth`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams([...fields, ['grant_type', 'password'], ['client_id', 'test'], ['username', asking], ['password', `pw-${asking}`]]),
        });
  const body = (await response.json()) as { token?: string; access_token?: string };
  if (response.status !== 200) return { status: response.status };
  const token = body.token ?? body.access_token ?? '';
  return { granted: (claimsOf(token).access as ResourceScope[]).map(formatScope) };
}

/** explain's answer: the granted scopes, or that it refused. */
async function fromExplain({ asking, scopes }: World): Promise<{ granted: string[] } | { refused: string }> {
  const result = await runInProcess([registerExplain], ['explain', '-c', configFile, '--json', 'registry', asking, ...scopes]);
  if (result.code !== 0) return { refused: result.stderr };
  return { granted: (JSON.parse(result.stdout) as { granted: string[] }).granted };
}

test('the token grants exactly what explain says, for random users, groups, access strings and scopes', async () => {
  const seen = { granted: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(world, async (input) => {
      await writeUsers(input);
      const [served, explained] = await Promise.all([fromServer(input), fromExplain(input)]);
      if ('granted' in served) {
        assert.deepEqual(explained, served);
        if (served.granted.length > 0) seen.granted += 1;
      } else {
        seen.refused += 1;
        // A refusal on both sides, for the same reason: a scope that does not parse (400), or no such user (401).
        assert.ok('refused' in explained, `explain granted ${JSON.stringify(explained)} where the server answered ${served.status}`);
        const reason = /\b(SCOPE|USER): /u.exec(explained.refused)?.[1];
        assert.deepEqual([served.status, reason], [reason === 'SCOPE' ? 400 : 401, reason], explained.refused);
        if (reason === 'USER') assert.ok(!input.users.some((user) => user.name === input.asking));
      }
    }),
    { numRuns: 100 },
  );
  // Not vacuous: many runs grant something, some are refused.
  assert.ok(seen.granted >= 10 && seen.refused >= 3, JSON.stringify(seen));
});
