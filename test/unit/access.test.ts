import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccess, MAX_ENTRIES_PER_ACCESS, parseAccess, parseAccessEntry, readAccess } from '../../src/domain/access.js';

test('the Godoauth example', () => {
  assert.deepEqual(parseAccess('repository:linux/app:*;repository:linux/db:pull'), {
    rules: [
      { type: 'repository', name: 'linux/app', actions: ['*'] },
      { type: 'repository', name: 'linux/db', actions: ['pull'] },
    ],
    invalid: [],
  });
});

test('spaces around entries and parts, and a trailing ;', () => {
  assert.deepEqual(parseAccess(' repository:a:pull, push ; registry:catalog:* ;').rules, [
    { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
});

test('an empty access string grants nothing and is not an error', () => {
  assert.deepEqual(parseAccess(''), { rules: [], invalid: [] });
  assert.deepEqual(parseAccess(' ; ;'), { rules: [], invalid: [] });
});

test('names with host:port', () => {
  assert.deepEqual(parseAccess('repository:localhost:5000/app:pull').rules, [{ type: 'repository', name: 'localhost:5000/app', actions: ['pull'] }]);
});

test('entries that do not parse are set apart; the others still count', () => {
  assert.deepEqual(parseAccess('garbage;repository:a:pull;repository:b:;:x:pull;repository::pull'), {
    rules: [{ type: 'repository', name: 'a', actions: ['pull'] }],
    invalid: ['garbage', 'repository:b:', ':x:pull', 'repository::pull'],
  });
});

test('names may be patterns, with ${account}', () => {
  assert.deepEqual(parseAccess('repository:team/**:pull;repository:users/${account}/*:*;repository:team/app-*:push').rules, [
    { type: 'repository', name: 'team/**', actions: ['pull'] },
    { type: 'repository', name: 'users/${account}/*', actions: ['*'] },
    { type: 'repository', name: 'team/app-*', actions: ['push'] },
  ]);
});

test('readAccess gives each set-apart entry a position and a reason', () => {
  const read = readAccess('repository:a:pull; garbage ;repository:team/x**:pull');
  assert.deepEqual(
    read.entries.map((entry) => entry.entry),
    ['repository:a:pull'],
  );
  assert.deepEqual(read.rejected, [
    { entry: 'garbage', position: 2, reason: 'expected type:name:actions' },
    { entry: 'repository:team/x**:pull', position: 3, reason: '"**" must be a whole path segment, as in team/** or team/**/app' },
  ]);
});

test('every kind of bad entry is refused with its reason', () => {
  const reasons: [string, RegExp][] = [
    ['garbage', /expected type:name:actions/u],
    ['Repository:a:pull', /resource type/u],
    ['repository::pull', /name is empty/u],
    ['repository:a"b:pull', /forbidden character/u],
    ['repository:a:', /no actions/u],
    ['repository:a:pull,pu sh', /invalid action "pu sh"/u],
    ['repository:a:pull,', /invalid action ""/u],
    ['repository:users/${user}:pull', /unknown placeholder \$\{user\}/u],
    ['repository:users/$x:pull', /may only begin/u],
    ['repository:a/**b:pull', /whole path segment/u],
    [`repository:${'a/'.repeat(32)}*:pull`, /at most 32 path segments/u],
    [`repository:${'a*'.repeat(33)}:pull`, /at most 32 wildcards/u],
    [`repository:${'a'.repeat(1100)}:pull`, /longer than 1024/u],
  ];
  for (const [entry, reason] of reasons) {
    const parsed = parseAccessEntry(entry);
    assert.equal(parsed.ok, false, `${entry} should be refused`);
    if (!parsed.ok) assert.match(parsed.reason, reason, entry);
  }
});

test('an entry of 1024 characters is read; 1025 is refused; the limit holds for patterns too', () => {
  const entry = (length: number, name = 'a') => `repository:${name}${'a'.repeat(length - 'repository::pull'.length - name.length)}:pull`;
  assert.equal(entry(1024).length, 1024);
  const atLimit = parseAccessEntry(entry(1024));
  assert.equal(atLimit.ok && atLimit.entry.name.length, 1008);
  assert.deepEqual(parseAccessEntry(entry(1025)), { ok: false, reason: 'longer than 1024 characters' });
  assert.equal(parseAccessEntry(entry(1024, 'team/*-')).ok, true);
  assert.deepEqual(parseAccessEntry(entry(1025, 'team/*-')), { ok: false, reason: 'longer than 1024 characters' });
  // Read from an access string, the long entry is set apart with its reason; its neighbours count.
  const read = readAccess(`repository:b:pull;${entry(1025)};repository:c:pull`);
  assert.deepEqual(
    read.entries.map((e) => e.name),
    ['b', 'c'],
  );
  assert.deepEqual(read.rejected, [{ entry: entry(1025), position: 2, reason: 'longer than 1024 characters' }]);
});

test('at most 256 entries are read; the rest are one rejected record', () => {
  const entries = Array.from({ length: MAX_ENTRIES_PER_ACCESS + 3 }, (_, i) => `repository:r${i}:pull`);
  const read = readAccess(entries.join(';'));
  assert.equal(read.entries.length, MAX_ENTRIES_PER_ACCESS);
  assert.deepEqual(read.rejected, [
    {
      entry: 'repository:r256:pull',
      position: 257,
      reason: 'this entry and the 2 after it are ignored: at most 256 entries per access string (it has 259)',
    },
  ]);
  assert.deepEqual(parseAccess(entries.join(';')).invalid, ['(this entry and the 2 after it are ignored: at most 256 entries per access string (it has 259))']);
  // Empty entries do not count.
  assert.equal(readAccess(`${entries.slice(0, MAX_ENTRIES_PER_ACCESS).join(';;')};;`).rejected.length, 0);
});

test('checkAccess names every offending entry', () => {
  assert.deepEqual(checkAccess(''), { ok: true });
  assert.deepEqual(checkAccess('repository:team/**:pull,push;registry:catalog:*;repository:users/${account}:*'), { ok: true });
  assert.deepEqual(checkAccess('repository:a:pull;nonsense;repository:b/${user}:pull'), {
    ok: false,
    problems: [
      'entry 2 "nonsense": expected type:name:actions',
      'entry 3 "repository:b/${user}:pull": unknown placeholder ${user}: the only one is ${account}',
    ],
  });
  const many = Array.from({ length: MAX_ENTRIES_PER_ACCESS + 1 }, () => 'repository:a:pull').join(';');
  assert.deepEqual(checkAccess(many), {
    ok: false,
    problems: ['entry 257 "repository:a:pull": this entry is ignored: at most 256 entries per access string (it has 257)'],
  });
});
